package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func franzCreate(ctx context.Context, bootstrap, topic string, parts int32) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopics(ctx, parts, 1, nil, topic)
	if err != nil {
		return err
	}
	if err := resp.Error(); err != nil {
		return fmt.Errorf("create %s: %w", topic, err)
	}
	// a new topic is usable once its partitions have leaders answering ListOffsets
	for {
		offs, err := adm.ListEndOffsets(ctx, topic)
		if err == nil && offs.Error() == nil && len(offs[topic]) == int(parts) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s never became ready: %v", topic, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// consumeN polls cl until n records arrived or ctx ends.
func consumeN(ctx context.Context, cl *kgo.Client, n int) ([]*kgo.Record, error) {
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return recs, fmt.Errorf("got %d of %d records: %w", len(recs), n, ctx.Err())
		}
		if errs := fs.Errors(); len(errs) > 0 {
			return recs, fmt.Errorf("fetch: %v", errs[0].Err)
		}
		recs = append(recs, fs.Records()...)
	}
	return recs, nil
}

func init() {
	register("franz/produce-consume", func(ctx context.Context, bs string) error {
		topic := name("franz-pc")
		if err := franzCreate(ctx, bs, topic, 3); err != nil {
			return err
		}
		p, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.DefaultProduceTopic(topic))
		if err != nil {
			return err
		}
		defer p.Close()
		const n = 300
		var recs []*kgo.Record
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Key: []byte("k" + strconv.Itoa(i%10)), Value: []byte(strconv.Itoa(i)),
				Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}})
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		keyPart := map[string]int32{}
		for _, r := range recs {
			if q, ok := keyPart[string(r.Key)]; ok && q != r.Partition {
				return fmt.Errorf("key %s went to partitions %d and %d", r.Key, q, r.Partition)
			}
			keyPart[string(r.Key)] = r.Partition
		}
		c, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			return err
		}
		defer c.Close()
		got, err := consumeN(ctx, c, n)
		if err != nil {
			return err
		}
		if len(got) != n {
			return fmt.Errorf("consumed %d records, want %d", len(got), n)
		}
		last := map[int32]int{}
		for _, r := range got {
			v, _ := strconv.Atoi(string(r.Value))
			if prev, ok := last[r.Partition]; ok && v <= prev {
				return fmt.Errorf("partition %d: %d after %d", r.Partition, v, prev)
			}
			last[r.Partition] = v
			if len(r.Headers) != 1 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != "v" {
				return fmt.Errorf("record %s: headers %v", r.Value, r.Headers)
			}
			if keyPart[string(r.Key)] != r.Partition {
				return fmt.Errorf("record %s read from partition %d, produced to %d", r.Value, r.Partition, keyPart[string(r.Key)])
			}
		}
		return nil
	})

	register("franz/group-cooperative-sticky", func(ctx context.Context, bs string) error {
		topic, group := name("franz-grp"), name("franz-grp")
		if err := franzCreate(ctx, bs, topic, 4); err != nil {
			return err
		}
		const n = 200
		p, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.DefaultProduceTopic(topic))
		if err != nil {
			return err
		}
		defer p.Close()
		var mu sync.Mutex
		seen := map[string]int{}
		assigned := make([]map[int32]bool, 2)
		var members []*kgo.Client
		defer func() {
			for _, m := range members {
				m.Close()
			}
		}()
		for i := 0; i < 2; i++ {
			i := i
			assigned[i] = map[int32]bool{}
			m, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group),
				kgo.Balancers(kgo.CooperativeStickyBalancer()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				// no rebalance between a poll and the records' processing: the offsets autocommitted
				// on revoke then cover every record processed (without it, franz-go documents that a
				// polled record may also go to the partition's next owner)
				kgo.BlockRebalanceOnPoll(),
				kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
					mu.Lock()
					defer mu.Unlock()
					for _, p := range a[topic] {
						assigned[i][p] = true
					}
				}),
				kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
					mu.Lock()
					defer mu.Unlock()
					for _, p := range r[topic] {
						delete(assigned[i], p)
					}
				}))
			if err != nil {
				return err
			}
			members = append(members, m)
		}
		// both members poll until every record is seen and the assignment is split 2/2
		errc := make(chan error, 2)
		pctx, stop := context.WithCancel(ctx)
		defer stop()
		for _, m := range members {
			m := m
			go func() {
				for {
					fs := m.PollFetches(pctx)
					if pctx.Err() != nil {
						m.AllowRebalance()
						errc <- nil
						return
					}
					for _, e := range fs.Errors() {
						m.AllowRebalance()
						errc <- fmt.Errorf("fetch: %v", e.Err)
						return
					}
					mu.Lock()
					for _, r := range fs.Records() {
						seen[string(r.Value)]++
					}
					mu.Unlock()
					m.AllowRebalance()
				}
			}()
		}
		// The records are produced once the two members share the partitions 2/2: committed
		// offsets around a rebalance are at-least-once (a record polled by the first member just
		// before its revoke may come again to the second), which is not what this asserts.
		for {
			mu.Lock()
			split := len(assigned[0]) == 2 && len(assigned[1]) == 2
			state := fmt.Sprintf("assignments %v / %v", assigned[0], assigned[1])
			mu.Unlock()
			if split {
				break
			}
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				return fmt.Errorf("members never shared the partitions 2/2: %s", state)
			case <-time.After(100 * time.Millisecond):
			}
		}
		var recs []*kgo.Record
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))})
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		for {
			mu.Lock()
			done := len(seen) == n && len(assigned[0]) == 2 && len(assigned[1]) == 2
			state := fmt.Sprintf("%d of %d distinct records, assignments %v / %v", len(seen), n, assigned[0], assigned[1])
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
		// no rebalance after the records were produced: each was seen by one member, once
		mu.Lock()
		defer mu.Unlock()
		for v, c := range seen {
			if c != 1 {
				return fmt.Errorf("record %s seen %d times", v, c)
			}
		}
		return nil
	})

	register("franz/kadm", func(ctx context.Context, bs string) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(bs))
		if err != nil {
			return err
		}
		defer cl.Close()
		adm := kadm.NewClient(cl)
		t1, t2, group := name("franz-adm1"), name("franz-adm2"), name("franz-adm")
		ct, err := adm.CreateTopics(ctx, 2, 1, map[string]*string{"retention.ms": kadm.StringPtr("3600000")}, t1, t2)
		if err != nil || ct.Error() != nil {
			return fmt.Errorf("create topics: %v %v", err, ct.Error())
		}
		// creating again: TOPIC_ALREADY_EXISTS for each
		again, err := adm.CreateTopics(ctx, 2, 1, nil, t1)
		if err != nil || again[t1].Err == nil || again[t1].Err.Error() == "" {
			return fmt.Errorf("second create of %s: err %v, topic err %v, want TOPIC_ALREADY_EXISTS", t1, err, again[t1].Err)
		}
		if err := franzCreateWait(ctx, adm, t1, 2); err != nil {
			return err
		}
		td, err := adm.ListTopics(ctx, t1, t2)
		if err != nil {
			return err
		}
		if len(td[t1].Partitions) != 2 || len(td[t2].Partitions) != 2 {
			return fmt.Errorf("ListTopics: %d and %d partitions, want 2 and 2", len(td[t1].Partitions), len(td[t2].Partitions))
		}
		rc, err := adm.DescribeTopicConfigs(ctx, t1)
		if err != nil {
			return err
		}
		c, err := rc.On(t1, nil)
		if err != nil {
			return err
		}
		found := false
		for _, kv := range c.Configs {
			if kv.Key == "retention.ms" && kv.Value != nil && *kv.Value == "3600000" {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("DescribeTopicConfigs: retention.ms=3600000 not found")
		}
		// produce 10 to partition 0 of t1, then list offsets
		p, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err != nil {
			return err
		}
		defer p.Close()
		for i := 0; i < 10; i++ {
			if err := p.ProduceSync(ctx, &kgo.Record{Topic: t1, Partition: 0, Value: []byte("x")}).FirstErr(); err != nil {
				return fmt.Errorf("produce: %w", err)
			}
		}
		end, err := adm.ListEndOffsets(ctx, t1)
		if err != nil || end.Error() != nil {
			return fmt.Errorf("ListEndOffsets: %v %v", err, end.Error())
		}
		if o, _ := end.Lookup(t1, 0); o.Offset != 10 {
			return fmt.Errorf("end offset of %s-0 is %d, want 10", t1, o.Offset)
		}
		if o, _ := end.Lookup(t1, 1); o.Offset != 0 {
			return fmt.Errorf("end offset of %s-1 is %d, want 0", t1, o.Offset)
		}
		start, err := adm.ListStartOffsets(ctx, t1)
		if err != nil || start.Error() != nil {
			return fmt.Errorf("ListStartOffsets: %v %v", err, start.Error())
		}
		if o, _ := start.Lookup(t1, 0); o.Offset != 0 {
			return fmt.Errorf("start offset of %s-0 is %d, want 0", t1, o.Offset)
		}
		// commit offsets for a group, fetch and describe it
		os := kadm.Offsets{}
		os.Add(kadm.Offset{Topic: t1, Partition: 0, At: 7, LeaderEpoch: -1})
		cr, err := adm.CommitOffsets(ctx, group, os)
		if err != nil || cr.Error() != nil {
			return fmt.Errorf("CommitOffsets: %v %v", err, cr.Error())
		}
		fo, err := adm.FetchOffsets(ctx, group)
		if err != nil || fo.Error() != nil {
			return fmt.Errorf("FetchOffsets: %v %v", err, fo.Error())
		}
		if o, ok := fo.Lookup(t1, 0); !ok || o.At != 7 {
			return fmt.Errorf("FetchOffsets: %s-0 at %v (found %v), want 7", t1, o.At, ok)
		}
		lag, err := adm.Lag(ctx, group)
		if err != nil {
			return fmt.Errorf("Lag: %w", err)
		}
		if l := lag[group].Lag.TotalByTopic()[t1].Lag; l != 3 {
			return fmt.Errorf("Lag of %s on %s is %d, want 3", group, t1, l)
		}
		dg, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			return fmt.Errorf("DescribeGroups: %w", err)
		}
		if g := dg[group]; g.Err != nil || g.State != "Empty" {
			return fmt.Errorf("DescribeGroups: %s state %q err %v, want Empty", group, g.State, g.Err)
		}
		lg, err := adm.ListGroups(ctx)
		if err != nil {
			return fmt.Errorf("ListGroups: %w", err)
		}
		if _, ok := lg[group]; !ok {
			return fmt.Errorf("ListGroups: %s not listed among %v", group, lg.Groups())
		}
		dr, err := adm.DeleteGroups(ctx, group)
		if err != nil || dr.Error() != nil {
			return fmt.Errorf("DeleteGroups: %v %v", err, dr.Error())
		}
		del, err := adm.DeleteTopics(ctx, t1, t2)
		if err != nil || del.Error() != nil {
			return fmt.Errorf("DeleteTopics: %v %v", err, del.Error())
		}
		for {
			td, err := adm.ListTopics(ctx)
			if err == nil && !td.Has(t1) && !td.Has(t2) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("deleted topics still listed")
			case <-time.After(200 * time.Millisecond):
			}
		}
	})

	register("franz/transactions-read-committed", func(ctx context.Context, bs string) error {
		topic := name("franz-txn")
		if err := franzCreate(ctx, bs, topic, 2); err != nil {
			return err
		}
		p, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.DefaultProduceTopic(topic),
			kgo.TransactionalID(name("franz-txn")), kgo.TransactionTimeout(30*time.Second))
		if err != nil {
			return err
		}
		defer p.Close()
		batch := func(prefix string, n int, commit kgo.TransactionEndTry) error {
			if err := p.BeginTransaction(); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			var recs []*kgo.Record
			for i := 0; i < n; i++ {
				recs = append(recs, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(prefix + strconv.Itoa(i))})
			}
			if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				return fmt.Errorf("produce %s: %w", prefix, err)
			}
			if err := p.EndTransaction(ctx, commit); err != nil {
				return fmt.Errorf("end %s: %w", prefix, err)
			}
			return nil
		}
		if err := batch("c1-", 10, kgo.TryCommit); err != nil {
			return err
		}
		if err := batch("a-", 10, kgo.TryAbort); err != nil {
			return err
		}
		if err := batch("c2-", 5, kgo.TryCommit); err != nil {
			return err
		}
		read := func(level kgo.IsolationLevel, want int) ([]string, error) {
			c, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(level))
			if err != nil {
				return nil, err
			}
			defer c.Close()
			recs, err := consumeN(ctx, c, want)
			if err != nil {
				return nil, err
			}
			// nothing more arrives
			sctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			defer cancel()
			more := c.PollFetches(sctx).Records()
			recs = append(recs, more...)
			var vs []string
			for _, r := range recs {
				vs = append(vs, string(r.Value))
			}
			sort.Strings(vs)
			return vs, nil
		}
		committed, err := read(kgo.ReadCommitted(), 15)
		if err != nil {
			return fmt.Errorf("read_committed: %w", err)
		}
		if len(committed) != 15 {
			return fmt.Errorf("read_committed saw %d records, want 15: %v", len(committed), committed)
		}
		for _, v := range committed {
			if v[0] == 'a' {
				return fmt.Errorf("read_committed saw aborted record %s", v)
			}
		}
		all, err := read(kgo.ReadUncommitted(), 25)
		if err != nil {
			return fmt.Errorf("read_uncommitted: %w", err)
		}
		if len(all) != 25 {
			return fmt.Errorf("read_uncommitted saw %d records, want 25", len(all))
		}
		// end offsets: 25 records + 3 markers on each of the partitions written
		cl, _ := kgo.NewClient(kgo.SeedBrokers(bs))
		defer cl.Close()
		end, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
		if err != nil {
			return err
		}
		var total int64
		end.Each(func(o kadm.ListedOffset) { total += o.Offset })
		if total < 25+3 {
			return fmt.Errorf("end offsets sum to %d, want at least 28 (records and markers)", total)
		}
		return nil
	})

	register("franz/group-transact-session", func(ctx context.Context, bs string) error {
		in, out, group := name("franz-gts-in"), name("franz-gts-out"), name("franz-gts")
		if err := franzCreate(ctx, bs, in, 2); err != nil {
			return err
		}
		if err := franzCreate(ctx, bs, out, 2); err != nil {
			return err
		}
		p, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.DefaultProduceTopic(in))
		if err != nil {
			return err
		}
		defer p.Close()
		const n = 50
		for i := 0; i < n; i++ {
			p.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))}, nil)
		}
		if err := p.Flush(ctx); err != nil {
			return err
		}
		s, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(bs), kgo.DefaultProduceTopic(out),
			kgo.TransactionalID(name("franz-gts")), kgo.ConsumerGroup(group), kgo.ConsumeTopics(in),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.RequireStableFetchOffsets())
		if err != nil {
			return err
		}
		defer s.Close()
		// first round is aborted, so the same input is processed again and committed
		done, round := 0, 0
		for done < n {
			fs := s.PollFetches(ctx)
			if ctx.Err() != nil {
				return fmt.Errorf("transformed %d of %d: %w", done, n, ctx.Err())
			}
			if e := fs.Errors(); len(e) > 0 {
				return fmt.Errorf("fetch: %v", e[0].Err)
			}
			recs := fs.Records()
			if len(recs) == 0 {
				continue
			}
			if err := s.Begin(); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			for _, r := range recs {
				s.Produce(ctx, &kgo.Record{Key: r.Key, Value: append([]byte("t-"), r.Value...)}, nil)
			}
			round++
			try := kgo.TryCommit
			if round == 1 {
				try = kgo.TryAbort
			}
			committed, err := s.End(ctx, try)
			if err != nil {
				return fmt.Errorf("end round %d: %w", round, err)
			}
			if try == kgo.TryCommit && committed {
				done += len(recs)
			}
		}
		if round < 2 {
			return fmt.Errorf("only %d rounds", round)
		}
		c, err := kgo.NewClient(kgo.SeedBrokers(bs), kgo.ConsumeTopics(out),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if err != nil {
			return err
		}
		defer c.Close()
		recs, err := consumeN(ctx, c, n)
		if err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		recs = append(recs, c.PollFetches(sctx).Records()...)
		seen := map[string]int{}
		for _, r := range recs {
			seen[string(r.Value)]++
		}
		if len(recs) != n || len(seen) != n {
			return fmt.Errorf("output holds %d records (%d distinct), want %d once each", len(recs), len(seen), n)
		}
		return nil
	})
}

func franzCreateWait(ctx context.Context, adm *kadm.Client, topic string, parts int) error {
	for {
		offs, err := adm.ListEndOffsets(ctx, topic)
		if err == nil && offs.Error() == nil && len(offs[topic]) == parts {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s never became ready: %v", topic, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
