package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

func kgoCreate(ctx context.Context, bs, topic string, parts int) error {
	cl := &kafka.Client{Addr: kafka.TCP(bs), Timeout: 10 * time.Second}
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: topic, NumPartitions: parts, ReplicationFactor: 1}}})
	if err != nil {
		return fmt.Errorf("CreateTopics: %w", err)
	}
	if e := resp.Errors[topic]; e != nil {
		return fmt.Errorf("CreateTopics %s: %w", topic, e)
	}
	for {
		req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
		for p := 0; p < parts; p++ {
			req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
		}
		lo, err := cl.ListOffsets(ctx, req)
		ready := 0
		if err == nil {
			for _, po := range lo.Topics[topic] {
				if po.Error == nil {
					ready++
				}
			}
		}
		if ready == parts {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s: %d of %d partitions ready (%v)", topic, ready, parts, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func init() {
	register("kafka-go/conn-and-client-create-topics", func(ctx context.Context, bs string) error {
		t1, t2 := name("kgo-conn"), name("kgo-client")
		// Conn.CreateTopics goes to the controller, found with Conn.Controller
		conn, err := kafka.DialContext(ctx, "tcp", bs)
		if err != nil {
			return err
		}
		defer conn.Close()
		ctrl, err := conn.Controller()
		if err != nil {
			return fmt.Errorf("Controller: %w", err)
		}
		cc, err := kafka.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
		if err != nil {
			return fmt.Errorf("dial controller %v: %w", ctrl, err)
		}
		defer cc.Close()
		if err := cc.CreateTopics(kafka.TopicConfig{Topic: t1, NumPartitions: 3, ReplicationFactor: 1}); err != nil {
			return fmt.Errorf("Conn.CreateTopics: %w", err)
		}
		// kafka-go's Conn.CreateTopics ignores TOPIC_ALREADY_EXISTS
		if err := cc.CreateTopics(kafka.TopicConfig{Topic: t1, NumPartitions: 3, ReplicationFactor: 1}); err != nil {
			return fmt.Errorf("second Conn.CreateTopics: %w", err)
		}
		if err := kgoCreate(ctx, bs, t2, 2); err != nil {
			return err
		}
		cl := &kafka.Client{Addr: kafka.TCP(bs), Timeout: 10 * time.Second}
		resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: t2, NumPartitions: 2, ReplicationFactor: 1}}})
		if err != nil || !errors.Is(resp.Errors[t2], kafka.TopicAlreadyExists) {
			return fmt.Errorf("second Client.CreateTopics: %v %v, want TopicAlreadyExists", err, resp.Errors[t2])
		}
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{t1, t2}})
		if err != nil {
			return fmt.Errorf("Metadata: %w", err)
		}
		parts := map[string]int{}
		for _, t := range md.Topics {
			if t.Error != nil {
				return fmt.Errorf("Metadata %s: %w", t.Name, t.Error)
			}
			parts[t.Name] = len(t.Partitions)
		}
		if parts[t1] != 3 || parts[t2] != 2 {
			return fmt.Errorf("Metadata: partitions %v, want %s:3 %s:2", parts, t1, t2)
		}
		pp, err := conn.ReadPartitions(t1)
		if err != nil || len(pp) != 3 {
			return fmt.Errorf("Conn.ReadPartitions: %d partitions, %v", len(pp), err)
		}
		dr, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{t1, t2}})
		if err != nil {
			return fmt.Errorf("DeleteTopics: %w", err)
		}
		for t, e := range dr.Errors {
			if e != nil {
				return fmt.Errorf("DeleteTopics %s: %w", t, e)
			}
		}
		return nil
	})

	register("kafka-go/writer-keys-reader-group", func(ctx context.Context, bs string) error {
		topic, group := name("kgo-wr"), name("kgo-wr")
		if err := kgoCreate(ctx, bs, topic, 4); err != nil {
			return err
		}
		w := &kafka.Writer{Addr: kafka.TCP(bs), Topic: topic, Balancer: &kafka.Hash{},
			RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond}
		defer w.Close()
		const n = 60
		var msgs []kafka.Message
		for i := 0; i < n; i++ {
			msgs = append(msgs, kafka.Message{Key: []byte("k" + strconv.Itoa(i%6)), Value: []byte(strconv.Itoa(i)),
				Headers: []kafka.Header{{Key: "i", Value: []byte(strconv.Itoa(i))}}})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			return fmt.Errorf("WriteMessages: %w", err)
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{bs}, Topic: topic, GroupID: group,
			StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond, CommitInterval: 0})
		keyPart := map[string]int{}
		seen := map[string]bool{}
		lastOff := map[int]int64{}
		for len(seen) < n {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				r.Close()
				return fmt.Errorf("FetchMessage after %d: %w", len(seen), err)
			}
			if seen[string(m.Value)] {
				r.Close()
				return fmt.Errorf("record %s read twice", m.Value)
			}
			seen[string(m.Value)] = true
			if q, ok := keyPart[string(m.Key)]; ok && q != m.Partition {
				r.Close()
				return fmt.Errorf("key %s on partitions %d and %d", m.Key, q, m.Partition)
			}
			keyPart[string(m.Key)] = m.Partition
			if len(m.Headers) != 1 || string(m.Headers[0].Value) != string(m.Value) {
				r.Close()
				return fmt.Errorf("record %s: headers %v", m.Value, m.Headers)
			}
			if o, ok := lastOff[m.Partition]; ok && m.Offset <= o {
				r.Close()
				return fmt.Errorf("partition %d: offset %d after %d", m.Partition, m.Offset, o)
			}
			lastOff[m.Partition] = m.Offset
			if err := r.CommitMessages(ctx, m); err != nil {
				r.Close()
				return fmt.Errorf("CommitMessages: %w", err)
			}
		}
		if err := r.Close(); err != nil {
			return fmt.Errorf("Reader.Close: %w", err)
		}
		// the group's committed offsets are the partitions' ends
		cl := &kafka.Client{Addr: kafka.TCP(bs), Timeout: 10 * time.Second}
		of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2, 3}}})
		if err != nil {
			return fmt.Errorf("OffsetFetch: %w", err)
		}
		var committed int64
		for _, p := range of.Topics[topic] {
			if p.Error != nil {
				return fmt.Errorf("OffsetFetch partition %d: %w", p.Partition, p.Error)
			}
			if p.CommittedOffset > 0 {
				committed += p.CommittedOffset
			}
		}
		if committed != n {
			return fmt.Errorf("committed offsets sum to %d, want %d", committed, n)
		}
		// a second reader in the same group finds nothing left
		r2 := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{bs}, Topic: topic, GroupID: group,
			StartOffset: kafka.FirstOffset, MaxWait: 300 * time.Millisecond})
		defer r2.Close()
		sctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		defer cancel()
		if m, err := r2.FetchMessage(sctx); err == nil {
			return fmt.Errorf("second reader read %s at offset %d after everything was committed", m.Value, m.Offset)
		}
		// and a new record written now reaches it
		if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("late"), Value: []byte("late")}); err != nil {
			return err
		}
		m, err := r2.FetchMessage(ctx)
		if err != nil || string(m.Value) != "late" {
			return fmt.Errorf("second reader: %v %s, want the late record", err, m.Value)
		}
		return nil
	})
}
