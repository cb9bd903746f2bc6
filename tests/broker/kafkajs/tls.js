// KafkaJS 2.x over TLS against rivulet broker: produce COUNT records and read
// them back from the beginning, trusting CA_FILE (and presenting CERT_FILE
// and KEY_FILE when given: mutual TLS). Prints one JSON line; exits 1 on any
// error. Usage: node tls.js HOST:PORT TOPIC COUNT CA_FILE [CERT_FILE KEY_FILE]
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, countStr, caFile, certFile, keyFile] = process.argv.slice(2);
  const count = parseInt(countStr, 10);
  const ssl = { ca: [fs.readFileSync(caFile, 'utf-8')] };
  if (certFile) {
    ssl.cert = fs.readFileSync(certFile, 'utf-8');
    ssl.key = fs.readFileSync(keyFile, 'utf-8');
  }
  const kafka = new Kafka({ clientId: 'rivulet-tls-test', brokers: [broker], ssl, logLevel: logLevel.ERROR,
                            retry: { retries: 3 } });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ value: `${i}` });
  await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `g-${topic}`, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout with ${seen.size} of ${count}`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value.toString());
        if (seen.size === count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log(JSON.stringify({ consumed: seen.size }));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e); process.exit(1); });
