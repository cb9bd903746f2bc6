// KafkaJS 2.x against rivulet broker: admin create, producer (acks -1, gzip),
// consumer group from the beginning, commit. Prints one JSON line; exits 1
// on any error. Usage: node roundtrip.js HOST:PORT TOPIC GROUP COUNT
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, group, countStr] = process.argv.slice(2);
  const count = parseInt(countStr, 10);
  const kafka = new Kafka({ clientId: 'rivulet-test', brokers: [broker], logLevel: logLevel.ERROR,
                            retry: { retries: 5 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const topics = await admin.listTopics();
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i % 7}`, value: `${i}` });
  const sent = await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.GZIP });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 });
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
  await consumer.disconnect();  // commits
  const admin2 = kafka.admin();
  await admin2.connect();
  const offsets = await admin2.fetchOffsets({ groupId: group, topics: [topic] });
  await admin2.disconnect();
  const committed = offsets[0].partitions.reduce((s, p) => s + Math.max(0, parseInt(p.offset, 10)), 0);
  console.log(JSON.stringify({ topicListed: topics.includes(topic), sentPartitions: sent.length,
                               consumed: seen.size, committed }));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
