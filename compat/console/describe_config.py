"""Prints one topic config as DescribeConfigs answers it (confluent-kafka AdminClient).

Usage: describe_config.py BOOTSTRAP TOPIC NAME  ->  {"value": ..., "source": ...}
"""

import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

bootstrap, topic, name = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": bootstrap})
resource = ConfigResource(ResourceType.TOPIC, topic)
configs = admin.describe_configs([resource])[resource].result(timeout=30)
entry = configs[name]
print(json.dumps({"value": entry.value, "source": str(entry.source)}))
