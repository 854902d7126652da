package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

func saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V4_0_0_0
	c.ClientID = "kalfka-compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Return.Errors = true
	return c
}

func saramaCreate(ctx context.Context, bs, topic string, parts int32) error {
	adm, err := sarama.NewClusterAdmin([]string{bs}, saramaConfig())
	if err != nil {
		return err
	}
	defer adm.Close()
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: parts, ReplicationFactor: 1}, false); err != nil {
		return fmt.Errorf("CreateTopic %s: %w", topic, err)
	}
	return saramaWaitLeaders(ctx, bs, topic, int(parts))
}

// saramaWaitLeaders waits until every partition of topic answers a ListOffsets.
func saramaWaitLeaders(ctx context.Context, bs, topic string, parts int) error {
	cl, err := sarama.NewClient([]string{bs}, saramaConfig())
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		okParts := 0
		_ = cl.RefreshMetadata(topic)
		for p := 0; p < parts; p++ {
			if _, err := cl.GetOffset(topic, int32(p), sarama.OffsetNewest); err == nil {
				okParts++
			}
		}
		if okParts == parts {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s: %d of %d partitions ready", topic, okParts, parts)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type saramaHandler struct {
	mu       *sync.Mutex
	seen     map[string]int
	claims   map[int32]bool
	memberID string
}

func (h *saramaHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claims = map[int32]bool{}
	for _, ps := range s.Claims() {
		for _, p := range ps {
			h.claims[p] = true
		}
	}
	h.memberID = s.MemberID()
	return nil
}
func (h *saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.seen[string(m.Value)]++
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

func init() {
	register("sarama/sync-producer-keys", func(ctx context.Context, bs string) error {
		topic := name("sarama-keys")
		if err := saramaCreate(ctx, bs, topic, 4); err != nil {
			return err
		}
		p, err := sarama.NewSyncProducer([]string{bs}, saramaConfig())
		if err != nil {
			return err
		}
		defer p.Close()
		keyPart := map[string]int32{}
		keyOffsets := map[int32]int64{}
		for i := 0; i < 40; i++ {
			k := "key-" + strconv.Itoa(i%8)
			part, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(k),
				Value: sarama.StringEncoder(strconv.Itoa(i)),
				Headers: []sarama.RecordHeader{{Key: []byte("n"), Value: []byte(strconv.Itoa(i))}}})
			if err != nil {
				return fmt.Errorf("SendMessage %d: %w", i, err)
			}
			if q, ok := keyPart[k]; ok && q != part {
				return fmt.Errorf("key %s went to partitions %d and %d", k, q, part)
			}
			keyPart[k] = part
			if want := keyOffsets[part]; off != want {
				return fmt.Errorf("record %d: offset %d on partition %d, want %d", i, off, part, want)
			}
			keyOffsets[part]++
		}
		// read each partition back with a plain consumer
		c, err := sarama.NewConsumer([]string{bs}, saramaConfig())
		if err != nil {
			return err
		}
		defer c.Close()
		total := 0
		for part, n := range keyOffsets {
			pc, err := c.ConsumePartition(topic, part, sarama.OffsetOldest)
			if err != nil {
				return fmt.Errorf("ConsumePartition %d: %w", part, err)
			}
			for i := int64(0); i < n; i++ {
				select {
				case m := <-pc.Messages():
					if m.Offset != i || keyPart[string(m.Key)] != part || len(m.Headers) != 1 || string(m.Headers[0].Value) != string(m.Value) {
						pc.Close()
						return fmt.Errorf("partition %d: unexpected message at %d: offset %d key %s", part, i, m.Offset, m.Key)
					}
					total++
				case <-ctx.Done():
					pc.Close()
					return fmt.Errorf("partition %d: %d of %d messages", part, i, n)
				}
			}
			pc.Close()
		}
		if total != 40 {
			return fmt.Errorf("read %d messages, want 40", total)
		}
		return nil
	})

	register("sarama/consumer-group-2-members", func(ctx context.Context, bs string) error {
		topic, group := name("sarama-grp"), name("sarama-grp")
		if err := saramaCreate(ctx, bs, topic, 4); err != nil {
			return err
		}
		p, err := sarama.NewSyncProducer([]string{bs}, saramaConfig())
		if err != nil {
			return err
		}
		defer p.Close()
		const n = 100
		var msgs []*sarama.ProducerMessage
		for i := 0; i < n; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(strconv.Itoa(i)), Value: sarama.StringEncoder(strconv.Itoa(i))})
		}
		if err := p.SendMessages(msgs); err != nil {
			return fmt.Errorf("SendMessages: %w", err)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		handlers := []*saramaHandler{{mu: &mu, seen: seen}, {mu: &mu, seen: seen}}
		gctx, stop := context.WithCancel(ctx)
		defer stop()
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for _, h := range handlers {
			cfg := saramaConfig()
			cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
			cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
			cg, err := sarama.NewConsumerGroup([]string{bs}, group, cfg)
			if err != nil {
				return err
			}
			wg.Add(1)
			go func(h *saramaHandler, cg sarama.ConsumerGroup) {
				defer wg.Done()
				defer cg.Close()
				go func() {
					for err := range cg.Errors() {
						select {
						case errc <- err:
						default:
						}
					}
				}()
				for gctx.Err() == nil {
					if err := cg.Consume(gctx, []string{topic}, h); err != nil && gctx.Err() == nil {
						errc <- fmt.Errorf("Consume: %w", err)
						return
					}
				}
			}(h, cg)
		}
		// on return: stop the members, then wait for them to leave the group
		defer func() { stop(); wg.Wait() }()
		for {
			mu.Lock()
			done := len(seen) == n && len(handlers[0].claims) == 2 && len(handlers[1].claims) == 2
			state := fmt.Sprintf("%d of %d distinct records; claims %v / %v", len(seen), n, handlers[0].claims, handlers[1].claims)
			mu.Unlock()
			if done {
				break
			}
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				return fmt.Errorf("timed out: %s", state)
			case <-time.After(200 * time.Millisecond):
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for v, c := range seen {
			if c != 1 {
				// the first member may consume before the second joins; only records it had not
				// committed before the rebalance may come again, and sarama commits on rebalance
				return fmt.Errorf("record %s seen %d times", v, c)
			}
		}
		if handlers[0].memberID == handlers[1].memberID {
			return fmt.Errorf("both members have member id %s", handlers[0].memberID)
		}
		return nil
	})

	register("sarama/cluster-admin", func(ctx context.Context, bs string) error {
		adm, err := sarama.NewClusterAdmin([]string{bs}, saramaConfig())
		if err != nil {
			return err
		}
		defer adm.Close()
		topic, group := name("sarama-adm"), name("sarama-adm")
		if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
			ConfigEntries: map[string]*string{"cleanup.policy": strPtr("compact")}}, false); err != nil {
			return fmt.Errorf("CreateTopic: %w", err)
		}
		err = adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false)
		if te, ok := err.(*sarama.TopicError); !ok || te.Err != sarama.ErrTopicAlreadyExists {
			return fmt.Errorf("second CreateTopic: %v, want TOPIC_ALREADY_EXISTS", err)
		}
		if err := saramaWaitLeaders(ctx, bs, topic, 3); err != nil {
			return err
		}
		md, err := adm.DescribeTopics([]string{topic})
		if err != nil {
			return fmt.Errorf("DescribeTopics: %w", err)
		}
		if len(md) != 1 || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != 3 {
			return fmt.Errorf("DescribeTopics: %+v", md)
		}
		cfg, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
		if err != nil {
			return fmt.Errorf("DescribeConfig: %w", err)
		}
		compact := false
		for _, e := range cfg {
			if e.Name == "cleanup.policy" && e.Value == "compact" {
				compact = true
			}
		}
		if !compact {
			return fmt.Errorf("DescribeConfig: cleanup.policy=compact not found")
		}
		topics, err := adm.ListTopics()
		if err != nil {
			return fmt.Errorf("ListTopics: %w", err)
		}
		if d, ok := topics[topic]; !ok || d.NumPartitions != 3 {
			return fmt.Errorf("ListTopics: %s %v", topic, ok)
		}
		// a group with a committed offset is listed and described
		om, err := sarama.NewOffsetManagerFromClient(group, mustClient(bs))
		if err != nil {
			return err
		}
		pom, err := om.ManagePartition(topic, 0)
		if err != nil {
			return err
		}
		pom.MarkOffset(5, "")
		om.Commit()
		pom.Close()
		om.Close()
		groups, err := adm.ListConsumerGroups()
		if err != nil {
			return fmt.Errorf("ListConsumerGroups: %w", err)
		}
		if _, ok := groups[group]; !ok {
			return fmt.Errorf("ListConsumerGroups: %s not among %v", group, groups)
		}
		off, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
		if err != nil {
			return fmt.Errorf("ListConsumerGroupOffsets: %w", err)
		}
		if b := off.GetBlock(topic, 0); b == nil || b.Offset != 5 {
			return fmt.Errorf("ListConsumerGroupOffsets: %+v, want 5", b)
		}
		dg, err := adm.DescribeConsumerGroups([]string{group})
		if err != nil || len(dg) != 1 || dg[0].State != "Empty" {
			return fmt.Errorf("DescribeConsumerGroups: %v %+v", err, dg)
		}
		if err := adm.DeleteConsumerGroup(group); err != nil {
			return fmt.Errorf("DeleteConsumerGroup: %w", err)
		}
		if err := adm.DeleteTopic(topic); err != nil {
			return fmt.Errorf("DeleteTopic: %w", err)
		}
		for {
			topics, err := adm.ListTopics()
			if err == nil {
				if _, ok := topics[topic]; !ok {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("deleted topic still listed")
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

func strPtr(s string) *string { return &s }

func mustClient(bs string) sarama.Client {
	cl, err := sarama.NewClient([]string{bs}, saramaConfig())
	if err != nil {
		panic(err)
	}
	return cl
}
