// KafkaJS 2.x over SASL against rivulet broker: authenticate with MECHANISM
// (plain, scram-sha-256, scram-sha-512) as USER, produce COUNT records
// ("sasl-0" ...) and read them back from the beginning in a consumer group.
// With CA_FILE the connection is SASL_SSL trusting that CA, else
// SASL_PLAINTEXT. Prints one JSON line with the values read (sorted); exits
// 1 on any error.
// Usage: node sasl.js HOST:PORT TOPIC COUNT MECHANISM USER PASSWORD [CA_FILE]
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, countStr, mechanism, username, password, caFile] = process.argv.slice(2);
  const count = parseInt(countStr, 10);
  const ssl = caFile ? { ca: [fs.readFileSync(caFile, 'utf-8')] } : false;
  const kafka = new Kafka({
    clientId: 'rivulet-sasl-test', brokers: [broker], ssl,
    sasl: { mechanism: mechanism.toLowerCase(), username, password },
    logLevel: logLevel.ERROR, retry: { retries: 3 },
  });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ value: `sasl-${i}` });
  await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `g-${topic}`, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout with ${seen.length} of ${count}`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length >= count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  seen.sort();
  console.log(JSON.stringify({ consumed: seen.length, values: seen }));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e); process.exit(1); });
