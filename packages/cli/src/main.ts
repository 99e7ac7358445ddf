import { parseArgs } from 'node:util';
import { main as alerter } from '@kanshi/alerter/main';
import { main as desk } from '@kanshi/desk/main';
import { main as detector } from '@kanshi/detector/main';
import { main as ingest } from '@kanshi/ingest/main';
import { exitCodeOf, failureExit, settleExit } from '@kanshi/runtime';
import { runDetect } from './detect.js';
import { alertsTable, detectSummaryText } from './format.js';
import { InputFileMissing } from './ndjson.js';
import { backtest, demo, detectionConfigFile, latenessMs, need, positiveInt, simulate } from './lab.js';
import { replay } from './replay.js';
import { topics } from './topics.js';

const HELP = `kanshi — surveillance for hack, pump and dump at retail brokerages

Usage: kanshi <command> [options]

Commands:
  demo                     simulate a small brokerage with one incident, detect, show the alerts (npm start)
  detect                   run detection on NDJSON files
      --events F --instruments F --accounts F [--lists F] --out DIR
  simulate                 generate a realistic brokerage with labelled incidents
      --out DIR [--family F] [--accounts N] [--days D] [--seed S] [--scenario NAME ...] [--clean]
  backtest                 detect on a simulated data set and score it against its labels
      --data DIR [--out DIR]
      --family F|all [--seeds 1,2,3] [--accounts N] [--days D] [--out DIR]   one row per family x seed
  replay                   publish a file or an archived period into Kafka
  ingest | detector | alerter
                           run a service against Kafka (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL);
                           each starts in services/<name>/src/main.ts, also as node services/<name>/dist/main.js
  topics create | check    make or check the deployment's topics (KANSHI_TOPIC_PREFIX)
  desk                     the surveillance desk, a web console (KANSHI_DESK_PORT 8470; services/desk)
  desk users add --name N --role analyst|supervisor|auditor    a desk user, password on stdin

Run 'kanshi <command> --help' for a command's options.`;

async function detect(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' }, instruments: { type: 'string' }, accounts: { type: 'string' }, lists: { type: 'string' }, out: { type: 'string' },
      'max-lateness-ms': { type: 'string' }, workers: { type: 'string' }, 'detection-config': { type: 'string' },
      quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('kanshi detect --events FILE --instruments FILE --accounts FILE [--lists FILE] --out DIR [--max-lateness-ms MS=300000] [--workers N] [--detection-config FILE] [--quiet]\n  NDJSON or .gz in; DIR/findings.ndjson, holds.ndjson, rejects.ndjson out.\n  --max-lateness-ms: how far out of event-time order an event may come and still be put in its place\n  (the detector service\'s KANSHI_MAX_LATENESS_MS; give both the same to compare them).\n  --workers: threads to split the accounts over; the findings are the same for any N (default: 1 under\n  32 MB of input, else one per core up to 8). Events later than the allowance may be placed differently.\n  --detection-config: a JSON object of DetectionConfig options (thresholds, weights by group) over the defaults.\n  --lists: block and allow list entries (NDJSON), each applied to events between its createdAt and expiresAt.');
    return 0;
  }
  const out = need(values.out, 'out');
  const detection = detectionConfigFile(values['detection-config']);
  const summary = await runDetect({
    events: need(values.events, 'events'), instruments: need(values.instruments, 'instruments'),
    accounts: need(values.accounts, 'accounts'), lists: values.lists, out, quiet: values.quiet,
    engine: { maxLatenessMs: latenessMs(values['max-lateness-ms'], '--max-lateness-ms'), ...(detection ? { detection } : {}) },
    workers: values.workers === undefined ? undefined : positiveInt(values.workers, 'workers', 1, 64),
  });
  console.log(detectSummaryText(summary, out));
  if (summary.findings.length && !values.quiet) console.log(`\n${alertsTable(summary.findings, 15)}`);
  return 0;
}

// the services own their wiring (services/<name>/src/main.ts); the CLI only names them. Every
// command gets the environment from here: nothing below main reads process.env
const COMMANDS: Record<string, (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>> = {
  detect,
  simulate,
  backtest,
  demo,
  ingest,
  replay,
  detector,
  alerter,
  topics,
  desk,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return 0;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    const planned: string[] = [];
    console.error(planned.includes(cmd) ? `kanshi ${cmd}: not available in this build yet.` : `kanshi: unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await run(rest, process.env);
  } catch (e) {
    const known = failureExit(`kanshi ${cmd}`, e);
    if (known !== null) return known;
    const expected = ['InputFileMissing', 'LabelsUnreadable', 'InvalidSimulation', 'UnknownScenario', 'UnknownFamily'];
    if (e instanceof InputFileMissing || expected.includes((e as Error).name)) {
      console.error(`kanshi ${cmd}: ${(e as Error).message}`);
      return 1;
    }
    return exitCodeOf(`kanshi ${cmd}`, e);
  }
}

main(process.argv.slice(2)).then(settleExit, (e) => settleExit(exitCodeOf('kanshi', e)));
