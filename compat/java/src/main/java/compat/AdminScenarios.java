package compat;

import static compat.Env.check;
import static compat.Env.checkEq;
import static compat.Env.expectError;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

final class AdminScenarios {
    private AdminScenarios() {}

    static void register(Map<String, Scenario> s) {
        s.put("admin.createTopics", AdminScenarios::createTopics);
        s.put("admin.listTopics", AdminScenarios::listTopics);
        s.put("admin.describeTopics", AdminScenarios::describeTopics);
        s.put("admin.describeConfigs", AdminScenarios::describeConfigs);
        s.put("admin.incrementalAlterConfigs", AdminScenarios::incrementalAlterConfigs);
        s.put("admin.createPartitions", AdminScenarios::createPartitions);
        s.put("admin.deleteRecords", AdminScenarios::deleteRecords);
        s.put("admin.listOffsets", AdminScenarios::listOffsets);
        s.put("admin.describeCluster", AdminScenarios::describeCluster);
        s.put("admin.listConsumerGroups", AdminScenarios::listConsumerGroups);
        s.put("admin.describeConsumerGroups", AdminScenarios::describeConsumerGroups);
        s.put("admin.describeConsumerGroups-kip848", AdminScenarios::describeConsumerGroupsKip848);
        s.put("admin.listConsumerGroupOffsets", AdminScenarios::listConsumerGroupOffsets);
        s.put("admin.alterConsumerGroupOffsets", AdminScenarios::alterConsumerGroupOffsets);
        s.put("admin.deleteConsumerGroupOffsets", AdminScenarios::deleteConsumerGroupOffsets);
        s.put("admin.deleteConsumerGroups", AdminScenarios::deleteConsumerGroups);
        s.put("admin.deleteTopics", AdminScenarios::deleteTopics);
        s.put("admin.describeProducers", AdminScenarios::describeProducers);
        s.put("admin.listTransactions", AdminScenarios::listTransactions);
        s.put("admin.describeTransactions", AdminScenarios::describeTransactions);
        s.put("admin.abortTransaction", AdminScenarios::abortTransaction);
        s.put("admin.describeLogDirs", AdminScenarios::describeLogDirs);
        s.put("admin.describeFeatures", AdminScenarios::describeFeatures);
    }

    static Config topicConfig(Admin a, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return a.describeConfigs(List.of(r)).all().get().get(r);
    }

    static Set<String> names(Admin a) {
        try {
            return a.listTopics().names().get();
        } catch (Exception ex) {
            throw new RuntimeException(ex);
        }
    }

    static void createTopics(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.name("t");
        CreateTopicsResult res = a.createTopics(List.of(new NewTopic(t, 3, (short) 1).configs(
                Map.of("cleanup.policy", "compact", "retention.ms", "3600000"))));
        res.all().get();
        checkEq(3, res.numPartitions(t).get(), "numPartitions in the CreateTopics response");
        checkEq(1, res.replicationFactor(t).get(), "replicationFactor in the CreateTopics response");
        check(!Uuid.ZERO_UUID.equals(res.topicId(t).get()), "CreateTopics returned no topic id");
        checkEq("3600000", res.config(t).get().get("retention.ms").value(), "retention.ms in the response");
        checkEq("compact", topicConfig(a, t).get("cleanup.policy").value(), "cleanup.policy described");
        expectError(a.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all(), TopicExistsException.class,
                "creating it again");
        String bad = e.name("bad");
        expectError(a.createTopics(List.of(new NewTopic(bad, 1, (short) 1).configs(Map.of("retention.ms", "soon"))))
                .all(), InvalidConfigurationException.class, "retention.ms=soon");
        check(!a.listTopics().names().get().contains(bad), "a topic refused for its config was created");
    }

    static void listTopics(Env e) throws Exception {
        String t1 = e.createTopic("a", 1), t2 = e.createTopic("b", 2);
        // CreateTopics answers once the controller has the topic; the broker's metadata follows
        Env.eventually(10000, () -> names(e.admin()).containsAll(List.of(t1, t2)),
                () -> "listTopics lacks the new topics");
        Set<String> names = e.admin().listTopics().names().get();
        check(names.stream().noneMatch(n -> n.startsWith("__")), "listTopics lists internal topics: %s", names);
        var listings = e.admin().listTopics().namesToListings().get();
        check(!listings.get(t2).isInternal(), "%s listed as internal", t2);
        check(!Uuid.ZERO_UUID.equals(listings.get(t2).topicId()), "listTopics gives no topic id");
    }

    static void describeTopics(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 3);
        int nodeId = a.describeCluster().nodes().get().iterator().next().id();
        TopicDescription d = a.describeTopics(List.of(t)).allTopicNames().get().get(t);
        checkEq(t, d.name(), "name");
        checkEq(3, d.partitions().size(), "partitions");
        check(!d.isInternal(), "described as internal");
        check(!Uuid.ZERO_UUID.equals(d.topicId()), "no topic id");
        for (TopicPartitionInfo p : d.partitions()) {
            checkEq(nodeId, p.leader() == null ? null : p.leader().id(), "leader of partition " + p.partition());
            checkEq(1, p.replicas().size(), "replicas of partition " + p.partition());
            checkEq(1, p.isr().size(), "isr of partition " + p.partition());
        }
        TopicDescription byId = a.describeTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(
                List.of(d.topicId()))).allTopicIds().get().get(d.topicId());
        checkEq(t, byId.name(), "topic described by id");
        expectError(a.describeTopics(List.of(e.name("missing"))).allTopicNames(),
                UnknownTopicOrPartitionException.class, "describing a missing topic");
    }

    static void describeConfigs(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1, "retention.ms", "7200000");
        Config c = topicConfig(a, t);
        ConfigEntry ret = c.get("retention.ms");
        checkEq("7200000", ret.value(), "retention.ms");
        checkEq(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, ret.source(), "source of retention.ms");
        ConfigEntry cp = c.get("cleanup.policy");
        checkEq("delete", cp == null ? null : cp.value(), "default cleanup.policy");
        check(cp.isDefault() || cp.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG
                || cp.source() == ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG,
                "cleanup.policy source %s", cp.source());
        ConfigEntry mmb = c.get("max.message.bytes");
        check(mmb != null && Integer.parseInt(mmb.value()) > 0, "max.message.bytes described: %s", mmb);
        String node = Integer.toString(a.describeCluster().nodes().get().iterator().next().id());
        ConfigResource br = new ConfigResource(ConfigResource.Type.BROKER, node);
        Config bc = a.describeConfigs(List.of(br)).all().get().get(br);
        ConfigEntry broker = bc.get("message.max.bytes");
        check(broker != null && Integer.parseInt(broker.value()) > 0, "broker message.max.bytes described: %s",
                broker);
        expectError(a.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, e.name("missing"))))
                .all(), UnknownTopicOrPartitionException.class, "describing the configs of a missing topic");
    }

    static void incrementalAlterConfigs(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
        a.incrementalAlterConfigs(Map.of(r, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "123456"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND))))
                .all().get();
        Config c = topicConfig(a, t);
        checkEq("123456", c.get("retention.ms").value(), "retention.ms after SET");
        checkEq(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, c.get("retention.ms").source(), "its source");
        checkEq(Set.of("delete", "compact"), Set.of(c.get("cleanup.policy").value().split(",")),
                "cleanup.policy after APPEND compact");
        a.incrementalAlterConfigs(Map.of(r, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SUBTRACT))))
                .all().get();
        c = topicConfig(a, t);
        checkEq("604800000", c.get("retention.ms").value(), "retention.ms after DELETE (the default)");
        check(c.get("retention.ms").source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
                "retention.ms still a topic config after DELETE");
        checkEq("compact", c.get("cleanup.policy").value(), "cleanup.policy after SUBTRACT delete");
        expectError(a.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(
                new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all(),
                InvalidConfigurationException.class, "SET retention.ms=soon");
        checkEq("604800000", topicConfig(a, t).get("retention.ms").value(), "retention.ms after the refused SET");
        // validateOnly changes nothing
        a.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1000"),
                AlterConfigOp.OpType.SET))), new org.apache.kafka.clients.admin.AlterConfigsOptions()
                .validateOnly(true)).all().get();
        checkEq("604800000", topicConfig(a, t).get("retention.ms").value(), "retention.ms after validateOnly");
    }

    static void createPartitions(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        a.createPartitions(Map.of(t, NewPartitions.increaseTo(5))).all().get();
        Env.eventually(10000, () -> {
            try {
                return a.describeTopics(List.of(t)).allTopicNames().get().get(t).partitions().size() == 5;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "describeTopics never showed 5 partitions");
        expectError(a.createPartitions(Map.of(t, NewPartitions.increaseTo(3))).all(),
                InvalidPartitionsException.class, "decreasing to 3 partitions");
        KafkaProducer<String, String> p = e.producer();
        checkEq(4, p.send(new ProducerRecord<>(t, 4, null, "in-new")).get().partition(),
                "partition written after the increase");
    }

    static void deleteRecords(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        ConsumerScenarios.fill(e, t, 1, 0, 10);
        TopicPartition tp = new TopicPartition(t, 0);
        long low = a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp).get()
                .lowWatermark();
        checkEq(4L, low, "low watermark after deleteRecords(4)");
        checkEq(4L, a.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset(),
                "earliest offset after deleteRecords");
        List<ConsumerRecord<String, String>> got = e.readAll(t, 1, "read_uncommitted", 6);
        checkEq(List.of("p0-4", "p0-5", "p0-6", "p0-7", "p0-8", "p0-9"), Env.values(got), "records left");
        expectError(a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(11))).all(),
                org.apache.kafka.common.errors.OffsetOutOfRangeException.class, "deleting beyond the end");
        // -1 deletes up to the high watermark
        low = a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(-1))).lowWatermarks().get(tp).get()
                .lowWatermark();
        checkEq(10L, low, "low watermark after deleteRecords(-1)");
    }

    static void listOffsets(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        TopicPartition tp = new TopicPartition(t, 0);
        long base = System.currentTimeMillis() - 300_000;
        KafkaProducer<String, String> p = e.producer();
        long[] ts = {0, 1000, 2000, 9000, 3000, 4000};
        for (int i = 0; i < ts.length; i++) p.send(new ProducerRecord<>(t, 0, base + ts[i], null, "v" + i)).get();
        checkEq(0L, a.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset(), "earliest");
        checkEq(6L, a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset(), "latest");
        ListOffsetsResult.ListOffsetsResultInfo max =
                a.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get();
        checkEq(3L, max.offset(), "offset of the max timestamp");
        checkEq(base + 9000, max.timestamp(), "max timestamp");
        ListOffsetsResult.ListOffsetsResultInfo at =
                a.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(base + 2500))).partitionResult(tp).get();
        checkEq(3L, at.offset(), "first offset with timestamp >= base+2500");
        checkEq(base + 9000, at.timestamp(), "its timestamp");
        ListOffsetsResult.ListOffsetsResultInfo none =
                a.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(base + 60_000))).partitionResult(tp).get();
        checkEq(-1L, none.offset(), "offset for a timestamp after every record");
        expectError(a.listOffsets(Map.of(new TopicPartition(e.name("missing"), 0), OffsetSpec.latest())).all(),
                UnknownTopicOrPartitionException.class, "listOffsets of a missing topic");
    }

    static void describeCluster(Env e) throws Exception {
        DescribeClusterResult r = e.admin().describeCluster();
        var nodes = r.nodes().get();
        checkEq(1, nodes.size(), "nodes");
        var n = nodes.iterator().next();
        String[] hp = Env.bootstrap.split(":");
        checkEq(hp[0], n.host(), "node host");
        checkEq(Integer.parseInt(hp[1]), n.port(), "node port");
        String id = r.clusterId().get();
        check(id != null && !id.isEmpty(), "no cluster id");
        var controller = r.controller().get();
        check(controller != null && controller.id() == n.id(), "controller %s is not the node %s", controller, n);
    }

    /** A group with committed offsets and no member (Empty), made with a consumer that commits and leaves. */
    static String groupWithOffsets(Env e, String topic, Map<Integer, Long> offsets) throws Exception {
        String g = e.name("g");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g);
        Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
        offsets.forEach((p, o) -> m.put(new TopicPartition(topic, p), new OffsetAndMetadata(o, "meta-" + p)));
        c.commitSync(m);
        e.closeNow(c);
        return g;
    }

    static Map<TopicPartition, Long> groupOffsets(Admin a, String g) throws Exception {
        Map<TopicPartition, Long> out = new HashMap<>();
        a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get().forEach((tp, om) -> {
            if (om != null) out.put(tp, om.offset());
        });
        return out;
    }

    @SuppressWarnings("deprecation")
    static void listConsumerGroups(Env e) throws Exception {
        String t = e.createTopic("t", 2);
        // a group whose member joined (protocol type "consumer"), now empty
        String g = e.name("joined");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        c.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 30000;
        while (c.assignment().isEmpty() && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(100));
        c.commitSync(Map.of(new TopicPartition(t, 0), new OffsetAndMetadata(1)));
        e.closeNow(c);
        // a group that only ever committed offsets: a "simple" group
        String simple = groupWithOffsets(e, t, Map.of(0, 1L));
        Collection<ConsumerGroupListing> all = e.admin().listConsumerGroups().all().get();
        Optional<ConsumerGroupListing> l = all.stream().filter(x -> x.groupId().equals(g)).findFirst();
        check(l.isPresent(), "listConsumerGroups lacks %s", g);
        checkEq(Optional.of(GroupState.EMPTY), l.get().groupState(), "state listed");
        check(!l.get().isSimpleConsumerGroup(), "a group a consumer joined listed as simple");
        Optional<ConsumerGroupListing> ls = all.stream().filter(x -> x.groupId().equals(simple)).findFirst();
        check(ls.isPresent(), "listConsumerGroups lacks the group that only committed offsets");
        check(ls.get().isSimpleConsumerGroup(), "a group that only committed offsets not listed as simple");
        var filtered = e.admin().listConsumerGroups(new org.apache.kafka.clients.admin.ListConsumerGroupsOptions()
                .inGroupStates(Set.of(GroupState.STABLE))).all().get();
        check(filtered.stream().noneMatch(x -> x.groupId().equals(g)), "an Empty group listed as Stable");
    }

    static void describeConsumerGroups(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 3);
        String g = e.name("g");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic", ConsumerConfig.CLIENT_ID_CONFIG, "describer");
        c.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 30000;
        while (c.assignment().size() < 3 && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(100));
        checkEq(3, c.assignment().size(), "partitions assigned to the only member");
        ConsumerGroupDescription d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
        checkEq(GroupState.STABLE, d.groupState(), "state");
        checkEq("range", d.partitionAssignor(), "assignor (the classic consumer's default is range first)");
        checkEq(1, d.members().size(), "members");
        MemberDescription m = d.members().iterator().next();
        checkEq("describer", m.clientId(), "member client id");
        checkEq(c.groupMetadata().memberId(), m.consumerId(), "member id");
        checkEq(new HashSet<>(Env.partitions(t, 3)), m.assignment().topicPartitions(), "member assignment");
        check(d.coordinator() != null && d.coordinator().port() == Integer.parseInt(Env.bootstrap.split(":")[1]),
                "coordinator %s", d.coordinator());
        e.closeNow(c);
        d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
        checkEq(GroupState.EMPTY, d.groupState(), "state after the member left");
        checkEq(0, d.members().size(), "members after the member left");
    }

    static void listConsumerGroupOffsets(Env e) throws Exception {
        String t = e.createTopic("t", 2);
        String g = groupWithOffsets(e, t, Map.of(0, 5L, 1, 3L));
        var m = e.admin().listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
        checkEq(5L, m.get(new TopicPartition(t, 0)).offset(), "offset of partition 0");
        checkEq(3L, m.get(new TopicPartition(t, 1)).offset(), "offset of partition 1");
        checkEq("meta-0", m.get(new TopicPartition(t, 0)).metadata(), "metadata of partition 0");
        var none = e.admin().listConsumerGroupOffsets(e.name("nobody")).partitionsToOffsetAndMetadata().get();
        check(none.isEmpty(), "offsets of a group that never existed: %s", none);
    }

    static void alterConsumerGroupOffsets(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        ConsumerScenarios.fill(e, t, 2, 0, 5);
        String g = groupWithOffsets(e, t, Map.of(0, 4L, 1, 4L));
        TopicPartition p0 = new TopicPartition(t, 0);
        a.alterConsumerGroupOffsets(g, Map.of(p0, new OffsetAndMetadata(2))).all().get();
        checkEq(Map.of(p0, 2L, new TopicPartition(t, 1), 4L), groupOffsets(a, g), "offsets after the alter");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g);
        c.assign(List.of(p0));
        checkEq("p0-2", ConsumerScenarios.firstRecord(c).value(), "first record read by the group after the alter");
        e.closeNow(c);
        // altering the offsets of a group with an active member is refused
        KafkaConsumer<String, String> member = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        member.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 30000;
        while (member.assignment().isEmpty() && System.currentTimeMillis() < deadline) {
            member.poll(Duration.ofMillis(100));
        }
        check(!member.assignment().isEmpty(), "the member got no partitions");
        Throwable err = Env.failureOf(a.alterConsumerGroupOffsets(g, Map.of(p0, new OffsetAndMetadata(0))).all());
        check(err instanceof org.apache.kafka.common.errors.UnknownMemberIdException
                || err instanceof org.apache.kafka.common.errors.RebalanceInProgressException,
                "altering the offsets of an active group: expected UnknownMemberIdException, got %s", err);
    }

    static void deleteConsumerGroupOffsets(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        String g = groupWithOffsets(e, t, Map.of(0, 5L, 1, 3L));
        TopicPartition p0 = new TopicPartition(t, 0);
        a.deleteConsumerGroupOffsets(g, Set.of(p0)).all().get();
        checkEq(Map.of(new TopicPartition(t, 1), 3L), groupOffsets(a, g), "offsets after deleting partition 0's");
        expectError(a.deleteConsumerGroupOffsets(e.name("nobody"), Set.of(p0)).all(),
                GroupIdNotFoundException.class, "deleting offsets of a missing group");
    }

    @SuppressWarnings("deprecation")
    static void deleteConsumerGroups(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        String g = groupWithOffsets(e, t, Map.of(0, 1L));
        a.deleteConsumerGroups(List.of(g)).all().get();
        check(a.listConsumerGroups().all().get().stream().noneMatch(x -> x.groupId().equals(g)),
                "the deleted group is still listed");
        check(groupOffsets(a, g).isEmpty(), "the deleted group still has offsets");
        expectError(a.deleteConsumerGroups(List.of(g)).all(), GroupIdNotFoundException.class,
                "deleting it a second time");
        String active = e.name("active");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, active,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        c.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 30000;
        while (c.assignment().isEmpty() && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(100));
        expectError(a.deleteConsumerGroups(List.of(active)).all(), GroupNotEmptyException.class,
                "deleting a group with a member");
    }

    static void deleteTopics(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        a.deleteTopics(List.of(t)).all().get();
        Env.eventually(15000, () -> {
            try {
                return !a.listTopics().names().get().contains(t);
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "the deleted topic is still listed");
        expectError(a.describeTopics(List.of(t)).allTopicNames(), UnknownTopicOrPartitionException.class,
                "describing the deleted topic");
        expectError(a.deleteTopics(List.of(t)).all(), UnknownTopicOrPartitionException.class,
                "deleting it a second time");
        // the name can be used again, and the new topic starts empty
        Env.eventually(15000, () -> {
            try {
                a.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all().get();
                return true;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "the name of the deleted topic could not be used again");
        Env.eventually(15000, () -> {
            try {
                return a.listOffsets(Map.of(new TopicPartition(t, 0), OffsetSpec.latest())).all().get()
                        .get(new TopicPartition(t, 0)).offset() == 0L;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "the re-created topic has no end offset 0");
    }

    static void describeProducers(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        TopicPartition tp = new TopicPartition(t, 0);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        for (int i = 0; i < 7; i++) p.send(new ProducerRecord<>(t, 0, null, "v" + i)).get();
        List<ProducerState> states = a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
        checkEq(1, states.size(), "active producers after idempotent writes");
        ProducerState s = states.get(0);
        checkEq(6, s.lastSequence(), "last sequence (7 records, one per batch)");
        checkEq(0, s.producerEpoch(), "producer epoch");
        checkEq(java.util.OptionalLong.empty(), s.currentTransactionStartOffset(),
                "transaction start offset of a non-transactional producer");
        check(s.lastTimestamp() > 0, "last timestamp %d", s.lastTimestamp());

        KafkaProducer<String, String> tx = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"));
        tx.initTransactions();
        tx.beginTransaction();
        tx.send(new ProducerRecord<>(t, 0, null, "in-txn")).get();
        states = a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
        checkEq(2, states.size(), "active producers with a transaction open");
        Optional<ProducerState> open = states.stream().filter(x -> x.currentTransactionStartOffset().isPresent())
                .findFirst();
        check(open.isPresent(), "no producer with an open transaction: %s", states);
        checkEq(7L, open.get().currentTransactionStartOffset().getAsLong(), "transaction start offset");
        tx.commitTransaction();
        // commitTransaction returns once the commit is decided; the markers follow
        Env.eventually(10000, () -> {
            try {
                return a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers().stream()
                        .noneMatch(x -> x.currentTransactionStartOffset().isPresent());
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "a transaction still open 10 s after the commit");
    }

    static void listTransactions(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        String id = e.name("tx");
        KafkaProducer<String, String> tx = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        tx.initTransactions();
        tx.beginTransaction();
        tx.send(new ProducerRecord<>(t, 0, null, "in-txn")).get();
        TransactionListing l = listing(a, id);
        check(l != null, "listTransactions lacks %s", id);
        checkEq(TransactionState.ONGOING, l.state(), "state of the open transaction");
        check(l.producerId() >= 0, "producer id %d", l.producerId());
        var ongoingOnly = a.listTransactions(new org.apache.kafka.clients.admin.ListTransactionsOptions()
                .filterStates(Set.of(TransactionState.ONGOING))).all().get();
        check(ongoingOnly.stream().anyMatch(x -> x.transactionalId().equals(id)), "filter by ONGOING lacks %s", id);
        tx.commitTransaction();
        // PrepareCommit until the markers are written, then CompleteCommit
        Env.eventually(10000, () -> {
            try {
                TransactionListing x = listing(a, id);
                return x != null && x.state() == TransactionState.COMPLETE_COMMIT;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "listTransactions never showed the transaction CompleteCommit");
        var ongoing = a.listTransactions(new org.apache.kafka.clients.admin.ListTransactionsOptions()
                .filterStates(Set.of(TransactionState.ONGOING))).all().get();
        check(ongoing.stream().noneMatch(x -> x.transactionalId().equals(id)),
                "a committed transaction listed as ONGOING");
    }

    static TransactionListing listing(Admin a, String id) throws Exception {
        return a.listTransactions().all().get().stream().filter(x -> x.transactionalId().equals(id)).findFirst()
                .orElse(null);
    }

    static void describeTransactions(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        String id = e.name("tx");
        KafkaProducer<String, String> tx = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 45000);
        tx.initTransactions();
        tx.beginTransaction();
        tx.send(new ProducerRecord<>(t, 0, null, "a")).get();
        tx.send(new ProducerRecord<>(t, 1, null, "b")).get();
        TransactionDescription d = a.describeTransactions(List.of(id)).description(id).get();
        checkEq(TransactionState.ONGOING, d.state(), "state");
        checkEq(45000L, d.transactionTimeoutMs(), "transaction timeout");
        checkEq(new HashSet<>(Env.partitions(t, 2)), d.topicPartitions(), "partitions in the transaction");
        check(d.producerId() >= 0 && d.producerEpoch() >= 0, "producer id/epoch %d/%d", d.producerId(),
                d.producerEpoch());
        check(d.transactionStartTimeMs().isPresent(), "no transaction start time");
        check(d.coordinatorId() >= 0, "coordinator id %d", d.coordinatorId());
        tx.abortTransaction();
        Env.eventually(10000, () -> {
            try {
                TransactionDescription x = a.describeTransactions(List.of(id)).description(id).get();
                return x.state() == TransactionState.COMPLETE_ABORT && x.topicPartitions().isEmpty();
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "describeTransactions never showed CompleteAbort with no partitions");
        expectError(a.describeTransactions(List.of(e.name("nobody"))).description(e.name("nobody")),
                TransactionalIdNotFoundException.class, "describing an unknown transactional id");
    }


    /**
     * Admin.abortTransaction (what kafka-transactions.sh abort does): a hanging transaction found
     * with describeProducers is aborted with a marker written by the partition leader; the last
     * stable offset moves past it and read_committed consumers never see its records.
     */
    static void abortTransaction(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 1);
        TopicPartition tp = new TopicPartition(t, 0);
        KafkaProducer<String, String> before = e.producer();
        before.send(new ProducerRecord<>(t, 0, null, "before")).get();
        KafkaProducer<String, String> tx = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"),
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600000);
        tx.initTransactions();
        tx.beginTransaction();
        tx.send(new ProducerRecord<>(t, 0, null, "hanging")).get();
        KafkaConsumer<String, String> rc = e.consumer(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        checkEq(Map.of(tp, 1L), rc.endOffsets(List.of(tp)), "last stable offset with the transaction open");
        ProducerState open = a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers().stream()
                .filter(x -> x.currentTransactionStartOffset().isPresent()).findFirst()
                .orElseThrow(() -> new AssertionError("describeProducers shows no open transaction"));
        a.abortTransaction(new org.apache.kafka.clients.admin.AbortTransactionSpec(tp, open.producerId(),
                (short) open.producerEpoch(), open.coordinatorEpoch().orElse(0))).all().get();
        // the abort marker takes offset 2: the last stable offset is the log end
        Env.eventually(10000, () -> rc.endOffsets(List.of(tp)).get(tp) == 3L,
                () -> "last stable offset after the abort: " + rc.endOffsets(List.of(tp)).get(tp));
        check(a.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers().stream()
                .noneMatch(x -> x.currentTransactionStartOffset().isPresent()),
                "describeProducers still shows an open transaction after the abort");
        checkEq(List.of("before"), Env.values(e.readAll(t, 1, "read_committed", 1)), "read_committed after the abort");
        checkEq(List.of("before", "hanging"), Env.values(e.readAll(t, 1, "read_uncommitted", 2)),
                "read_uncommitted after the abort");
    }

    /** describeLogDirs: one log directory holding the topic's partitions, with their sizes. */
    static void describeLogDirs(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 2);
        ConsumerScenarios.fill(e, t, 1, 0, 10); // partition 0 only
        int node = a.describeCluster().nodes().get().iterator().next().id();
        var dirs = a.describeLogDirs(List.of(node)).allDescriptions().get().get(node);
        check(dirs != null && !dirs.isEmpty(), "no log dirs for node %d", node);
        org.apache.kafka.clients.admin.ReplicaInfo p0 = null, p1 = null;
        for (var d : dirs.values()) {
            check(d.error() == null, "log dir error %s", d.error());
            if (d.replicaInfos().containsKey(new TopicPartition(t, 0))) p0 = d.replicaInfos().get(new TopicPartition(t, 0));
            if (d.replicaInfos().containsKey(new TopicPartition(t, 1))) p1 = d.replicaInfos().get(new TopicPartition(t, 1));
            check(d.totalBytes().orElse(1) > 0, "total bytes %s", d.totalBytes());
        }
        check(p0 != null && p1 != null, "the topic's partitions are in no log dir");
        check(p0.size() > 10 * 5, "size of partition 0 after 10 records: %d", p0.size());
        checkEq(0L, p1.size(), "size of the empty partition 1");
        check(!p0.isFuture(), "partition 0 described as a future replica");
    }

    /**
     * describeFeatures: the finalized features a Kafka 4.x broker advertises (clients read
     * metadata.version, transaction.version and group.version), each within its supported range.
     */
    static void describeFeatures(Env e) throws Exception {
        var fm = e.admin().describeFeatures().featureMetadata().get();
        var fin = fm.finalizedFeatures();
        for (String f : List.of("metadata.version", "transaction.version", "group.version")) {
            check(fin.containsKey(f), "finalized features lack %s: %s", f, fin);
            var sup = fm.supportedFeatures().get(f);
            check(sup != null, "supported features lack %s", f);
            short level = fin.get(f).maxVersionLevel();
            check(level >= sup.minVersion() && level <= sup.maxVersion(), "%s finalized at %d, supported %s", f, level,
                    sup);
        }
        check(fin.get("transaction.version").maxVersionLevel() >= 2, "transaction.version %s (4.x brokers finalize 2)",
                fin.get("transaction.version"));
        check(fin.get("group.version").maxVersionLevel() >= 1, "group.version %s (KIP-848 needs 1)",
                fin.get("group.version"));
        check(fm.finalizedFeaturesEpoch().isPresent(), "no finalized features epoch");
    }

    /** describeConsumerGroups of a group.protocol=consumer group (ConsumerGroupDescribe, KIP-848). */
    static void describeConsumerGroupsKip848(Env e) throws Exception {
        Admin a = e.admin();
        String t = e.createTopic("t", 3);
        String g = e.name("g");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, g,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer", ConsumerConfig.CLIENT_ID_CONFIG, "describer848");
        c.subscribe(List.of(t));
        long deadline = System.currentTimeMillis() + 30000;
        while (c.assignment().size() < 3 && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(100));
        checkEq(3, c.assignment().size(), "partitions assigned to the only member");
        Env.eventually(10000, () -> {
            try {
                return a.describeConsumerGroups(List.of(g)).all().get().get(g).groupState() == GroupState.STABLE;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "the group never became Stable");
        ConsumerGroupDescription d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
        checkEq(org.apache.kafka.common.GroupType.CONSUMER, d.type(), "group type");
        checkEq("uniform", d.partitionAssignor(), "assignor (the broker's default)");
        checkEq(1, d.members().size(), "members");
        MemberDescription m = d.members().iterator().next();
        checkEq("describer848", m.clientId(), "member client id");
        checkEq(c.groupMetadata().memberId(), m.consumerId(), "member id");
        checkEq(new HashSet<>(Env.partitions(t, 3)), m.assignment().topicPartitions(), "member assignment");
        check(m.targetAssignment().isPresent()
                && m.targetAssignment().get().topicPartitions().equals(new HashSet<>(Env.partitions(t, 3))),
                "member target assignment %s", m.targetAssignment());
        check(d.groupEpoch().isPresent() && d.groupEpoch().get() >= 1, "group epoch %s", d.groupEpoch());
        checkEq(d.groupEpoch(), d.targetAssignmentEpoch(), "target assignment epoch (stable group)");
        checkEq(d.groupEpoch(), m.memberEpoch(), "member epoch (stable group)");
        e.closeNow(c);
        d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
        checkEq(GroupState.EMPTY, d.groupState(), "state after the member left");
        checkEq(0, d.members().size(), "members after the member left");
    }
}
