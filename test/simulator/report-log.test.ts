import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReportLogFile, REPORT_LOG_FILE } from '../../simulator/cloud/reports';
import type { UpdateReport } from '../../simulator/cloud/store/records';

const report = (device: string) => ({ device, success: true }) as unknown as UpdateReport;
const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { device: string }).device);

test('reports go to one open log, and a rotated log is followed by a new file within a second', (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-report-log-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	let now = 1_000_000;
	const log = new ReportLogFile(dir, () => {}, () => now);
	const file = path.join(dir, REPORT_LOG_FILE);
	log.append(report('a'));
	log.append(report('b'));
	t.deepEqual(lines(file), ['a', 'b']);
	fs.renameSync(file, `${file}.1`);
	now += 1001;
	log.append(report('c'));
	t.deepEqual(lines(`${file}.1`), ['a', 'b']);
	t.deepEqual(lines(file), ['c']);
	log.close();
	log.append(report('d'));
	t.deepEqual(lines(file), ['c', 'd'], 'a closed log opens again on the next report');
	log.close();
});

test('a log that cannot be opened is said in the cloud log, and append does not throw', (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-report-log-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	fs.mkdirSync(path.join(dir, REPORT_LOG_FILE));
	const said: string[] = [];
	const log = new ReportLogFile(dir, (line) => said.push(line));
	t.notThrows(() => log.append(report('a')));
	t.regex(said[0] ?? '', /cannot append to .*reports\.jsonl/);
});
