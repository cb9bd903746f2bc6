"""KafkaJS 2.x (Node.js) against rivulet broker: admin, producer with gzip,
a consumer group reading everything and committing; an idempotent and a
transactional producer read with readUncommitted false and true."""
import json
import os
import subprocess
import unittest
import uuid

from broker_fixture import Broker

HERE = os.path.dirname(os.path.abspath(__file__))


class KafkaJsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(HERE, "kafkajs", "node_modules", "kafkajs")):
            raise RuntimeError("kafkajs is not installed: run scripts/install-deps.sh")
        cls.broker = Broker(config={"group.initial.rebalance.delay.ms": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def test_roundtrip(self):
        topic = f"kjs-{uuid.uuid4().hex[:8]}"
        r = subprocess.run(["node", os.path.join(HERE, "kafkajs", "roundtrip.js"), self.broker.bootstrap, topic,
                            "kjs-group", "500"], capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.assertTrue(out["topicListed"])
        self.assertEqual(out["consumed"], 500)
        self.assertEqual(out["committed"], 500)

    def test_idempotent_and_transactional_producers(self):
        topic = f"kjs-txn-{uuid.uuid4().hex[:8]}"
        r = subprocess.run(["node", os.path.join(HERE, "kafkajs", "transactions.js"), self.broker.bootstrap, topic],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out["idempotent"], 100)
        self.assertEqual(out["abortedVisible"], 0)
        self.assertEqual(out["committed"], 120)  # 100 idempotent + two committed transactions of 10
        self.assertEqual(out["all"], 130)


if __name__ == "__main__":
    unittest.main(verbosity=2)
