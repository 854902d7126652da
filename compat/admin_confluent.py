"""confluent-kafka AdminClient (librdkafka 2.16) against the admin APIs: create with configs,
describe (defaults included), alter, incrementally alter, add partitions (new partitions
receive records and a consumer gets them), describe cluster and log dirs, delete. Every
change made through the first AdminClient is observed through a second, separate one.

Usage: python3 admin_confluent.py HOST:PORT
"""

import sys
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"adm-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})
observer = AdminClient({"bootstrap.servers": bootstrap})


def topic_configs(client):
    res = ConfigResource(ResourceType.TOPIC, topic)
    return client.describe_configs([res])[res].result(timeout=15)


admin.create_topics(
    [NewTopic(topic, num_partitions=1, replication_factor=1, config={"retention.ms": "60000"})]
)[topic].result(timeout=15)

configs = topic_configs(observer)
check(configs["retention.ms"].value == "60000", f"retention.ms {configs['retention.ms']}")
check(configs["cleanup.policy"].value == "delete", "defaults are described")
check(configs["cleanup.policy"].is_default, "cleanup.policy is a default")
check(len(configs) >= 30, f"every topic config described, got {len(configs)}")

# AlterConfigs replaces the whole override set.
res = ConfigResource(ResourceType.TOPIC, topic, set_config={"segment.ms": "100000"})
admin.alter_configs([res])[res].result(timeout=15)
configs = topic_configs(observer)
check(configs["segment.ms"].value == "100000", "altered segment.ms")
check(configs["retention.ms"].value == "604800000", "retention.ms back to default")

# IncrementalAlterConfigs: SET and APPEND to a list config.
res = ConfigResource(
    ResourceType.TOPIC,
    topic,
    incremental_configs=[
        ConfigEntry("retention.ms", "120000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND),
    ],
)
admin.incremental_alter_configs([res])[res].result(timeout=15)
configs = topic_configs(observer)
check(configs["retention.ms"].value == "120000", "incremental SET")
check(configs["cleanup.policy"].value == "delete,compact", f"APPEND: {configs['cleanup.policy'].value}")
check(configs["segment.ms"].value == "100000", "incremental keeps other overrides")

# A bad value is refused with INVALID_CONFIG.
res = ConfigResource(
    ResourceType.TOPIC,
    topic,
    incremental_configs=[
        ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)
    ],
)
try:
    admin.incremental_alter_configs([res])[res].result(timeout=15)
    fail("bad retention.ms accepted")
except Exception as e:
    check("INVALID_CONFIG" in str(e) or "invalid" in str(e).lower(), f"unexpected error {e}")

# Add partitions; the new partition takes records and a consumer receives them.
admin.create_partitions([NewPartitions(topic, 3)])[topic].result(timeout=15)
md = observer.list_topics(topic=topic, timeout=10)
check(len(md.topics[topic].partitions) == 3, f"3 partitions: {md.topics[topic].partitions}")
try:
    admin.create_partitions([NewPartitions(topic, 2)])[topic].result(timeout=15)
    fail("shrinking accepted")
except Exception as e:
    check("INVALID_PARTITIONS" in str(e) or "partition" in str(e).lower(), f"unexpected error {e}")

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
# The topic is compacted by now (altered above), so the record needs a key.
reports = []
producer.produce(topic, key=b"k2", value=b"on-two", partition=2,
                 on_delivery=lambda err, msg: reports.append(err))
check(producer.flush(15) == 0 and reports == [None], f"delivered to partition 2: {reports}")
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 2, OFFSET_BEGINNING)])
got = None
alive = deadline(20)
while got is None and alive():
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        got = msg
consumer.close()
check(got is not None and got.value() == b"on-two" and got.partition() == 2, "consumed from partition 2")

# Describe topics (partitions and leaders) and a preferred leader election.
from confluent_kafka import ElectionType, KafkaError, TopicCollection

desc = observer.describe_topics(TopicCollection([topic]))[topic].result(timeout=15)
check(len(desc.partitions) == 3 and all(p.leader.id == 0 for p in desc.partitions), f"describe_topics {desc}")
elected = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(topic, 0)]).result(timeout=15)
# The preferred leader already leads: Kafka answers ELECTION_NOT_NEEDED.
check(
    all(err is not None and err.code() == KafkaError.ELECTION_NOT_NEEDED for err in elected.values()),
    f"elect_leaders {elected}",
)

# Describe cluster and log dirs (via the broker configs of node 0).
cluster = observer.describe_cluster().result(timeout=15)
check(len(cluster.nodes) == 1 and cluster.controller.id == 0, f"cluster {cluster}")
broker_res = ConfigResource(ResourceType.BROKER, "0")
broker_configs = observer.describe_configs([broker_res])[broker_res].result(timeout=15)
check("num.partitions" in broker_configs, "broker configs described")

# Delete; the observer no longer sees the topic.
admin.delete_topics([topic])[topic].result(timeout=15)
alive = deadline(10)
while alive() and topic in observer.list_topics(timeout=10).topics:
    pass
check(topic not in observer.list_topics(timeout=10).topics, "topic deleted")
print("ok: confluent-kafka admin")
