// The web console in a real browser: Debian's chromium, headless, driven by playwright-core,
// against a kalfka binary started by tests/console.rs, with real Kafka clients (kcat and
// confluent-kafka) checking what the page did and doing what the page must show.
//
// Usage: node scenario.js HTTP_URL BOOTSTRAP SCREENSHOT_DIR
// Every wait is bounded; the processes it starts (kcat, python) are killed by their own
// handles; only 127.0.0.1 is used.
'use strict';

const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const path = require('path');
const fs = require('fs');

const [url, bootstrap, shots] = process.argv.slice(2);
if (!url || !bootstrap || !shots) {
  console.error('usage: node scenario.js HTTP_URL BOOTSTRAP SCREENSHOT_DIR');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const python = process.env.KALFKA_PYTHON || 'python3';
const WAIT = 30000;
const children = new Set();

function fail(msg) { throw new Error(msg); }
function check(cond, msg) { if (!cond) fail(msg); }

/** Runs a command to completion (bounded), returning stdout. */
function run(cmd, args, input) {
  return execFileSync(cmd, args, { input, timeout: 60000, cwd: __dirname, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Starts the group consumer; resolves with {records, stop()} once it has read `count`. */
function startConsumer(group, topic, count) {
  return hold(['consumer.py', bootstrap, group, topic, String(count)]);
}

/** Starts a python client that prints JSON lines and `{"ready": true}`, then holds until told
 * to stop; resolves with {records, stop()} once ready. */
function hold(args) {
  const child = spawn(python, args, { cwd: __dirname, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const records = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(args[0] + ' not ready in time: ' + err)); }, 90000);
    child.on('exit', (code) => { children.delete(child); if (code) { clearTimeout(timer); reject(new Error(args[0] + ' exited ' + code + ': ' + err)); } });
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (line.ready) {
          clearTimeout(timer);
          resolve({
            records,
            stop: () => new Promise((done) => {
              const kill = setTimeout(() => child.kill('SIGKILL'), 30000);
              child.on('exit', () => { clearTimeout(kill); done(); });
              child.stdin.end('stop\n');
            }),
          });
        } else if (line.offset !== undefined) records.push(line);
      }
    });
  });
}

async function step(name, fn) {
  const started = Date.now();
  process.stdout.write('- ' + name + ' ... ');
  await fn();
  console.log('ok (' + (Date.now() - started) + ' ms)');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  page.setDefaultTimeout(WAIT);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Nothing but the broker: every request the page makes goes to the console's own origin.
  page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) pageErrors.push('request outside the broker: ' + r.url()); });
  const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });

  try {
    await step('overview shows the broker', async () => {
      await page.goto(url + '/');
      await page.locator('[data-card="Version"]').waitFor();
      const listener = await page.locator('[data-card="Kafka listener"]').textContent();
      check(listener === bootstrap, 'Kafka listener shown as ' + listener);
      await page.locator('[data-rate="messages_in"]').waitFor();
      await shot('overview');
    });

    await step('create a topic in the UI and see it with kcat', async () => {
      await page.click('header nav a[data-nav="topics"]');
      await page.fill('input[name="name"]', 'console-created');
      await page.fill('input[name="partitions"]', '3');
      await page.fill('input[name="configs"]', 'cleanup.policy=delete');
      await page.click('form[aria-label="Create topic"] button[type="submit"]');
      await page.locator('.note', { hasText: 'Created topic console-created' }).waitFor();
      await page.locator('table[data-table="topics"] a', { hasText: 'console-created' }).waitFor();
      const meta = JSON.parse(run('kcat', ['-b', bootstrap, '-L', '-t', 'console-created', '-J']));
      const t = meta.topics.find((x) => x.topic === 'console-created');
      check(t && !t.err && t.partitions.length === 3, 'kcat sees ' + JSON.stringify(t));
    });

    await step('produce with kcat and find the record in the browser by key', async () => {
      await page.fill('input[name="name"]', 'browse');
      await page.fill('input[name="partitions"]', '1');
      await page.fill('input[name="configs"]', '');
      await page.click('form[aria-label="Create topic"] button[type="submit"]');
      await page.locator('table[data-table="topics"] a', { hasText: /^browse$/ }).waitFor();
      const lines = [];
      for (let i = 0; i < 25; i++) lines.push('key-' + i + '\t{"n":' + i + ',"word":"w' + i + '"}');
      run('kcat', ['-b', bootstrap, '-P', '-t', 'browse', '-p', '0', '-K', '\t', '-H', 'origin=kcat'], lines.join('\n') + '\n');
      await page.click('table[data-table="topics"] a:text-is("browse")');
      await page.click('[role="tab"]:text-is("Messages")');
      await page.selectOption('select[name="from"]', 'beginning');
      await page.fill('input[name="key"]', 'key-13');
      await page.selectOption('select[name="format"]', 'json');
      await page.click('form[aria-label="Browse messages"] button[type="submit"]');
      await page.locator('[data-count="1"]').waitFor();
      const row = page.locator('table[data-table="messages"] tbody tr[data-offset="13"]');
      await row.waitFor();
      const value = await row.locator('td[data-field="value"]').textContent();
      check(JSON.parse(value).word === 'w13' && value.includes('\n'), 'pretty JSON value: ' + value);
      check((await row.textContent()).includes('origin=kcat'), 'headers shown');
      // Hex, 20 a page from the beginning.
      await page.fill('input[name="key"]', '');
      await page.selectOption('select[name="limit"]', '20');
      await page.selectOption('select[name="format"]', 'hex');
      await page.click('form[aria-label="Browse messages"] button[type="submit"]');
      await page.locator('table[data-table="messages"] tbody tr[data-offset="0"] td[data-field="key"]', { hasText: '6b 65 79 2d 30' }).waitFor();
      await page.locator('[data-count="20"]').waitFor();
      // Page forward (20..24) and back (0..19).
      await page.click('button:text-is("Next →")');
      await page.locator('[data-count="5"]').waitFor();
      await page.locator('table[data-table="messages"] tbody tr[data-offset="24"]').waitFor();
      await page.click('button:text-is("← Previous")');
      await page.locator('[data-count="20"]').waitFor();
      await page.locator('table[data-table="messages"] tbody tr[data-offset="0"]').waitFor();
      await page.selectOption('select[name="format"]', 'text');
      await page.locator('table[data-table="messages"] tbody tr[data-offset="0"] td[data-field="key"]', { hasText: 'key-0' }).waitFor();
      await shot('topic-messages');
    });

    await step('produce a record from the form', async () => {
      await page.click('[role="tab"]:text-is("Produce")');
      await page.selectOption('select[name="partition"]', '0');
      await page.fill('input[name="key"]', 'from-ui');
      await page.fill('textarea[name="value"]', 'hello from the console');
      await page.fill('input[name="headers"]', 'h1=v1');
      await page.click('form[aria-label="Produce a record"] button[type="submit"]');
      await page.locator('.note', { hasText: 'at offset 25' }).waitFor();
      const out = run('kcat', ['-b', bootstrap, '-C', '-t', 'browse', '-p', '0', '-o', '25', '-c', '1', '-e', '-f', '%k=%s|%h']);
      check(out.startsWith('from-ui=hello from the console|h1=v1'), 'kcat reads ' + out);
    });

    await step('a consumer group: members and lag, reset refused while active, stop, reset, resume', async () => {
      const first = await startConsumer('console-group', 'browse', 10);
      check(first.records[0].offset === 0 && first.records[9].offset === 9, 'first read ' + JSON.stringify(first.records));
      await page.goto(url + '/#/groups/console-group');
      await page.locator('table[data-table="members"] td', { hasText: /^console-consumer$/ }).waitFor();
      await page.locator('table[data-table="members"] td', { hasText: /^browse: 0$/ }).waitFor();
      // 26 records, 10 committed.
      await page.locator('[data-total-lag]', { hasText: /^16$/ }).waitFor();
      await shot('group');
      await page.selectOption('select[name="to"]', 'offset');
      await page.fill('input[name="value"]', '3');
      await page.click('form[aria-label="Reset offsets"] button[type="submit"]');
      await page.locator('.alert', { hasText: 'no active members' }).waitFor();
      await page.click('form[aria-label="Reset offsets"] button.danger');
      await page.locator('.alert', { hasText: 'NON_EMPTY_GROUP' }).waitFor();
      await first.stop();
      await page.locator('[data-state="Empty"]').waitFor();
      await page.click('form[aria-label="Reset offsets"] button[type="submit"]');
      await page.locator('table[data-table="plan"] td[data-new]', { hasText: /^3$/ }).waitFor();
      await page.click('form[aria-label="Reset offsets"] button.danger');
      await page.locator('.note', { hasText: 'Committed 1 new offsets' }).waitFor();
      await page.locator('[data-total-lag]', { hasText: /^23$/ }).waitFor();
      const second = await startConsumer('console-group', 'browse', 1);
      check(second.records[0].offset === 3, 'the consumer resumed at ' + JSON.stringify(second.records));
      await second.stop();
    });

    await step('edit a config and see DescribeConfigs change; an invalid value shows the broker error', async () => {
      await page.goto(url + '/#/topics/console-created/configs');
      const row = page.locator('tr[data-config="retention.ms"]');
      await row.locator('input').fill('123456789');
      await row.locator('button[data-save]').click();
      await page.locator('.note', { hasText: 'Set retention.ms = 123456789' }).waitFor();
      const described = JSON.parse(run(python, ['describe_config.py', bootstrap, 'console-created', 'retention.ms']));
      check(described.value === '123456789', 'DescribeConfigs says ' + JSON.stringify(described));
      const row2 = page.locator('tr[data-config="retention.ms"]');
      await row2.locator('input').fill('soon');
      await row2.locator('button[data-save]').click();
      const alert = page.locator('.alert', { hasText: 'INVALID_CONFIG' });
      await alert.waitFor();
      check((await alert.textContent()).includes('retention.ms'), 'the broker error names the config');
      const again = JSON.parse(run(python, ['describe_config.py', bootstrap, 'console-created', 'retention.ms']));
      check(again.value === '123456789', 'an invalid value changes nothing: ' + JSON.stringify(again));
      await shot('topic-configs');
    });

    await step('topic partitions, topics list, groups and transactions pages', async () => {
      await page.goto(url + '/#/topics/browse');
      await page.locator('table[data-table="partitions"] tbody tr').first().waitFor();
      await shot('topic-partitions');
      await page.goto(url + '/#/topics');
      await page.fill('input[name="filter"]', 'console');
      await page.locator('table[data-table="topics"] tbody tr').first().waitFor();
      check((await page.locator('table[data-table="topics"] tbody tr').count()) === 1, 'the filter keeps one topic');
      await page.fill('input[name="filter"]', '');
      await shot('topics');
      await page.goto(url + '/#/groups');
      await page.locator('table[data-table="groups"] a', { hasText: 'console-group' }).waitFor();
      await shot('groups');
      const tx = await hold(['transaction.py', bootstrap, 'browse']);
      try {
        await page.goto(url + '/#/transactions');
        const open = page.locator('table[data-table="open-transactions"] tbody tr', { hasText: 'console-tx' });
        await open.waitFor();
        check((await open.textContent()).includes('browse: 0'), 'the open transaction lists its partition');
        await page.locator('table[data-table="all-producers"] tbody tr', { hasText: 'browse' }).waitFor();
        await shot('transactions');
      } finally {
        await tx.stop();
      }
    });

    await step('add partitions in the UI and see them with kcat', async () => {
      await page.goto(url + '/#/topics/console-created');
      await page.fill('input[name="count"]', '5');
      await page.click('button:text-is("Add partitions")');
      await page.locator('table[data-table="partitions"] tbody tr').nth(4).waitFor();
      const meta = JSON.parse(run('kcat', ['-b', bootstrap, '-L', '-t', 'console-created', '-J']));
      const t = meta.topics.find((x) => x.topic === 'console-created');
      check(t && t.partitions.length === 5, 'kcat sees ' + JSON.stringify(t));
      await page.fill('input[name="count"]', '2');
      await page.click('button:text-is("Add partitions")');
      await page.locator('.alert', { hasText: 'INVALID_PARTITIONS' }).waitFor();
    });

    await step('delete a topic with confirmation', async () => {
      await page.goto(url + '/#/topics');
      await page.click('button[aria-label="Delete topic console-created"]');
      await page.click('#confirm-ok');
      await page.locator('.note', { hasText: 'Deleted topic console-created' }).waitFor();
      const meta = JSON.parse(run('kcat', ['-b', bootstrap, '-L', '-J']));
      check(!meta.topics.some((x) => x.topic === 'console-created'), 'kcat still lists the deleted topic');
    });

    await step('the overview charts live traffic', async () => {
      await page.goto(url + '/');
      const rate = page.locator('[data-rate="messages_in"]');
      await rate.waitFor();
      let seen = false;
      for (let i = 0; i < 20 && !seen; i++) {
        run('kcat', ['-b', bootstrap, '-P', '-t', 'browse', '-p', '0'], 'a\nb\nc\n');
        await page.waitForTimeout(500);
        seen = (await rate.textContent()) !== '0.0/s';
      }
      check(seen, 'the messages-in rate stayed at 0 while kcat produced');
      await shot('overview-traffic');
    });

    await step('keyboard: the navigation is reachable with Tab', async () => {
      await page.goto(url + '/#/');
      await page.locator('[data-card="Version"]').waitFor();
      let reached = false;
      for (let i = 0; i < 8 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement && document.activeElement.dataset.nav === 'groups');
      }
      check(reached, 'Tab reaches the Consumer groups link');
      await page.keyboard.press('Enter');
      await page.locator('h1', { hasText: 'Consumer groups' }).waitFor();
    });

    check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '));
  } catch (e) {
    await shot('failure').catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().then(() => { console.log('console scenarios passed'); process.exit(0); }, (e) => {
  for (const c of children) c.kill('SIGKILL');
  console.error('FAIL: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
