// Two instances of the Express app sharing the Redis at REDIS_URL (a real redis-server the test
// started): repeats and parallel copies spread over both are handled once.
import { generateSecret } from "formhook";
import { checkReceiver } from "../receiver-check.mjs";
import { createApp } from "./server.mjs";

const secret = generateSecret();
const instances = [];
for (let i = 0; i < 2; i++) {
  const { app, redis } = await createApp(secret, process.env.REDIS_URL);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  instances.push({ server, redis, url: `http://127.0.0.1:${server.address().port}/webhooks` });
}
try {
  await checkReceiver(instances.map((i) => i.url), secret, "redis");
} finally {
  for (const { server, redis } of instances) {
    server.closeAllConnections();
    server.close();
    await redis.quit();
  }
}
console.log("dedupe ok");
