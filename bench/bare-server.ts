/**
 * The baseline of the GET /spaces benchmark: a bare fastify route, in its own
 * process like the real server, answering the same JSON body (read from stdin).
 */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
let body = '';
for await (const chunk of process.stdin) {
  body += chunk;
}
const app = Fastify({ logger: false });
app.get('/api/v1/spaces', async (_request, reply) =>
  reply.type('application/json; charset=utf-8').send(body),
);
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
