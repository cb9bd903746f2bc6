"""A broker killed with SIGKILL under load and restarted never loses a
record it acknowledged with acks=all, and comes back serving."""
import threading
import time
import unittest

from broker_fixture import Broker

import confluent_kafka


class CrashRestartTest(unittest.TestCase):
    def test_kill_under_load(self):
        broker = Broker(config={"num.partitions": "2"}).start()
        acked = set()
        lock = threading.Lock()
        stop = threading.Event()

        def produce():
            p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all",
                                          "linger.ms": 2, "message.timeout.ms": 3000, "retries": 0,
                                          "reconnect.backoff.max.ms": 200})
            i = 0

            def on_delivery(err, msg, i_=None):
                if err is None:
                    with lock:
                        acked.add(msg.value())

            while not stop.is_set():
                try:
                    p.produce("load", value=b"%d" % i, on_delivery=on_delivery)
                    i += 1
                except BufferError:
                    pass
                p.poll(0)
                if i % 500 == 0:
                    time.sleep(0.01)
            p.flush(10)

        try:
            for round_ in range(3):
                t = threading.Thread(target=produce)
                t.start()
                time.sleep(1.5)
                broker.kill()
                stop.set()
                t.join(30)
                stop.clear()
                with lock:
                    expected = set(acked)
                self.assertGreater(len(expected), 0, "nothing was acknowledged before the kill")
                broker.start()
                c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"check{round_}",
                                              "auto.offset.reset": "earliest", "enable.auto.commit": False})
                c.subscribe(["load"])
                got = set()
                deadline = time.time() + 60
                idle = 0
                while time.time() < deadline and idle < 10:
                    m = c.poll(0.5)
                    if m is None:
                        idle += 1 if got else 0
                        continue
                    idle = 0
                    self.assertIsNone(m.error())
                    got.add(m.value())
                c.close()
                missing = expected - got
                self.assertFalse(missing, f"round {round_}: {len(missing)} acknowledged records lost")
        finally:
            stop.set()
            broker.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
