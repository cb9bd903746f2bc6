// KafkaJS 2.x against rivulet broker: an idempotent producer, a transactional
// producer that commits, aborts and commits, and consumers with
// readUncommitted false (read_committed) and true. Prints one JSON line;
// exits 1 on any error. Usage: node transactions.js HOST:PORT TOPIC
const { Kafka, logLevel } = require('kafkajs');

async function readAll(kafka, topic, readUncommitted, expect) {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${readUncommitted}`, readUncommitted,
                                    sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    // After the expected count, wait a little more for anything extra.
    let done = null;
    const timer = setTimeout(resolve, 20000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length >= expect && !done) {
          clearTimeout(timer);
          done = setTimeout(resolve, 1500);
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return seen.sort();
}

async function main() {
  const [broker, topic] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'rivulet-txn-test', brokers: [broker], logLevel: logLevel.ERROR,
                            retry: { retries: 5 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();

  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  const msgs = [];
  for (let i = 0; i < 100; i++) msgs.push({ key: `k${i % 5}`, value: `idem-${i}` });
  await idem.send({ topic, messages: msgs, acks: -1 });
  await idem.disconnect();

  const producer = kafka.producer({ transactionalId: `kjs-${topic}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const [name, commit] of [['a', true], ['b', false], ['c', true]]) {
    const txn = await producer.transaction();
    const batch = [];
    for (let i = 0; i < 10; i++) batch.push({ key: `${i}`, value: `${name}${i}` });
    await txn.send({ topic, messages: batch });
    if (commit) await txn.commit(); else await txn.abort();
  }
  await producer.disconnect();

  const committed = await readAll(kafka, topic, false, 120);
  const all = await readAll(kafka, topic, true, 130);
  console.log(JSON.stringify({
    committed: committed.length, all: all.length,
    abortedVisible: committed.filter((v) => v.startsWith('b')).length,
    idempotent: committed.filter((v) => v.startsWith('idem-')).length,
  }));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
