"""kafka-python KafkaAdminClient against the admin APIs: create with configs, describe configs
(DescribeConfigs v1+ with defaults), alter configs, add partitions, describe cluster and log
dirs, delete. Changes are observed through a second admin client.

Usage: python3 admin_kafka_python.py HOST:PORT
"""

import sys
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import InvalidPartitionsError

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"kpa-{uuid.uuid4().hex[:8]}"
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
observer = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)


def configs_of(client):
    resp = client.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
    )
    entries = resp["topic"][topic]
    check(isinstance(entries, dict), f"describe failed: {entries}")
    return {name: e["value"] for name, e in entries.items()}


admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"retention.ms": "60000"})])
configs = configs_of(observer)
check(configs.get("retention.ms") == "60000", f"retention.ms {configs.get('retention.ms')}")
check(configs.get("cleanup.policy") == "delete", "defaults described")

admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "1000"})])
check(configs_of(observer).get("retention.ms") == "1000", "altered retention.ms")

resp = admin.alter_configs(
    [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "soon"})]
)
check("InvalidConfigurationError" in str(resp["topic"][topic]), f"INVALID_CONFIG expected: {resp}")
check(configs_of(observer).get("retention.ms") == "1000", "bad alter left the config alone")

admin.create_partitions({topic: NewPartitions(total_count=2)})
check(len(observer.describe_topics([topic])[0]["partitions"]) == 2, "2 partitions")
try:
    admin.create_partitions({topic: NewPartitions(total_count=1)})
    fail("shrinking accepted")
except InvalidPartitionsError:
    pass

producer = KafkaProducer(bootstrap_servers=bootstrap)
producer.send(topic, value=b"p1", partition=1).get(timeout=15)
producer.close()
consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=500)
tp = TopicPartition(topic, 1)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
values = []
alive = deadline(20)
while not values and alive():
    for batch in consumer.poll(timeout_ms=500).values():
        values.extend(r.value for r in batch)
consumer.close()
check(values == [b"p1"], f"consumed from new partition: {values}")

# DescribeTopicPartitions (KIP-966), paged one partition at a time with the cursor.
seen = []
cursor = None
for _ in range(10):
    page = observer.describe_topic_partitions([topic], response_partition_limit=1, cursor=cursor)
    for t in page["topics"]:
        seen.extend((t["name"], p["partition_index"]) for p in t["partitions"])
    cursor = page["next_cursor"]
    if cursor is None:
        break
check(seen == [(topic, 0), (topic, 1)], f"paged partitions {seen}")
admin.elect_leaders(0, {topic: [0, 1]})

cluster = observer.describe_cluster()
check(len(cluster["brokers"]) == 1, f"cluster {cluster}")
dirs = observer.describe_log_dirs()
sizes = {
    (t["name"], p["partition_index"]): p["partition_size"]
    for d in dirs[0]["log_dirs"]
    for t in d["topics"]
    for p in t["partitions"]
}
check(sizes.get((topic, 1), 0) > 0, f"partition 1 has a size on disk: {sizes}")

admin.delete_topics([topic])
check(topic not in observer.list_topics(), "topic deleted")
print("ok: kafka-python admin")
