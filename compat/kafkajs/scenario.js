// kafkajs 2.2.4 against Kalfka: admin, keyed idempotent produce with headers, a two-member
// consumer group sharing the partitions and resuming from committed offsets, and transactions
// (commit, abort, offsets sent in a transaction) read back with read_committed and
// read_uncommitted. Prints "ok: ..." on success; any mismatch exits non-zero with "FAIL:".
// Usage: node scenario.js HOST:PORT
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const bootstrap = process.argv[2]
if (!bootstrap) {
  console.error('usage: node scenario.js HOST:PORT')
  process.exit(2)
}
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const kafka = new Kafka({
  clientId: 'kalfka-compat',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING, // failures surface as exceptions; rebalance chatter is noise
  retry: { retries: 5, initialRetryTime: 100 },
})
const PARTITIONS = 3
const LIMIT_MS = 30000

function fail(msg) {
  throw new Error(msg)
}

function expectEqual(what, got, want) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) fail(`${what}: got ${g}, want ${w}`)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitFor(what, cond) {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > LIMIT_MS) fail(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

// Consumes `topic` from the beginning in a fresh group until `count` records arrived; returns
// the values per partition in arrival order.
async function readAll(topic, count, readUncommitted) {
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen = {}
  let n = 0
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      ;(seen[partition] = seen[partition] || []).push(message.value.toString())
      n += 1
    },
  })
  await waitFor(`${count} records of ${topic}`, () => n >= count)
  await sleep(500) // anything extra (aborted records, control records) would show up now
  await consumer.disconnect()
  return seen
}

async function roundTripAndGroups(admin) {
  const topic = 'kjs-round-trip'
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  expectEqual('partitions', meta.topics[0].partitions.length, PARTITIONS)

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 })
  await producer.connect()
  const messages = []
  for (let i = 0; i < 300; i++) {
    messages.push({ key: `key-${i % 10}`, value: `v${i}`, headers: { seq: `${i}` } })
  }
  const acks = await producer.send({ topic, messages })
  if (acks.some((a) => a.errorCode !== 0)) fail(`produce errors ${JSON.stringify(acks)}`)

  // Two members share the partitions; every record is read once, in order per partition.
  const group = 'kjs-group'
  const members = []
  const byMember = [[], []]
  const keyPartition = {}
  for (let m = 0; m < 2; m++) {
    const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key.toString()
        if (keyPartition[key] !== undefined && keyPartition[key] !== partition) {
          fail(`key ${key} seen in partitions ${keyPartition[key]} and ${partition}`)
        }
        keyPartition[key] = partition
        if (message.headers.seq.toString() !== message.value.toString().slice(1)) {
          fail(`header mismatch on ${message.value}`)
        }
        byMember[m].push({ partition, value: message.value.toString() })
      },
    })
    members.push(consumer)
  }
  await waitFor('300 records in the group', () => byMember[0].length + byMember[1].length >= 300)
  await sleep(500)
  const all = byMember[0].concat(byMember[1]).map((r) => r.value).sort()
  expectEqual('group records', all, messages.map((m) => m.value).sort())
  const p0 = new Set(byMember[0].map((r) => r.partition))
  const p1 = new Set(byMember[1].map((r) => r.partition))
  for (const p of p0) if (p1.has(p)) fail(`partition ${p} read by both members`)
  for (const consumer of members) await consumer.disconnect()

  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const committed = offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0)
  expectEqual('committed offsets sum', committed, 300)

  // A restarted member resumes after the committed offsets: only new records arrive.
  await producer.send({ topic, messages: [{ key: 'key-new', value: 'after-restart' }] })
  const again = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 })
  const resumed = []
  await again.connect()
  await again.subscribe({ topic, fromBeginning: true })
  await again.run({ eachMessage: async ({ message }) => resumed.push(message.value.toString()) })
  await waitFor('the new record', () => resumed.length >= 1)
  await sleep(500)
  expectEqual('resumed records', resumed, ['after-restart'])
  await again.disconnect()
  await producer.disconnect()

  const groups = await admin.listGroups()
  if (!groups.groups.some((g) => g.groupId === group)) fail(`listGroups lacks ${group}`)
  await admin.deleteTopics({ topics: [topic] })
}

async function transactions() {
  const topic = 'kjs-txn'
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })
  const producer = kafka.producer({
    transactionalId: 'kjs-txn-producer',
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  const batch = (prefix) =>
    [...Array(6).keys()].map((i) => ({ partition: i % PARTITIONS, value: `${prefix}${i}` }))

  let txn = await producer.transaction()
  await txn.send({ topic, messages: batch('c') })
  await txn.sendOffsets({
    consumerGroupId: 'kjs-txn-group',
    topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }],
  })
  await txn.commit()

  txn = await producer.transaction()
  await txn.send({ topic, messages: batch('a') })
  await txn.sendOffsets({
    consumerGroupId: 'kjs-txn-group',
    topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }],
  })
  await txn.abort()

  txn = await producer.transaction()
  await txn.send({ topic, messages: [{ partition: 0, value: 'end' }] })
  await txn.commit()

  const committed = await readAll(topic, 7, false)
  expectEqual('read_committed p0', committed[0], ['c0', 'c3', 'end'])
  expectEqual('read_committed p1', committed[1], ['c1', 'c4'])
  expectEqual('read_committed p2', committed[2], ['c2', 'c5'])
  const uncommitted = await readAll(topic, 13, true)
  expectEqual('read_uncommitted p0', uncommitted[0], ['c0', 'c3', 'a0', 'a3', 'end'])

  const offsets = await admin.fetchOffsets({ groupId: 'kjs-txn-group', topics: [topic] })
  const p0 = offsets[0].partitions.find((p) => p.partition === 0)
  expectEqual('offset committed in the transaction', p0.offset, '2')
  await producer.disconnect()
  await admin.disconnect()
}

async function main() {
  const admin = kafka.admin()
  await admin.connect()
  await roundTripAndGroups(admin)
  await admin.disconnect()
  await transactions()
  console.log('ok: kafkajs admin, idempotent keyed produce, group share/commit/resume, transactions')
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAIL: ${e && e.stack ? e.stack : e}`)
    process.exit(1)
  },
)
