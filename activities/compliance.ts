import type { Db } from '../src/db/knex';
import type { AmlThresholds, Candidate } from '../src/compliance/aml';
import { ComplianceReports, type AmlReport } from '../src/compliance/reports';

export interface ComplianceDeps {
  db: Db;
  amlThresholds: AmlThresholds;
}

export interface ComplianceSummary {
  month: string;
  str: { users: number; items: number };
  ctr: { users: number; items: number };
  /** The e-mail to compliance: the candidates listed, and where the fileable CSVs are. */
  subject: string;
  body: string;
}

/** Items listed in the mail; the CSV from the API has them all. */
const MAX_LISTED = 200;

/** ₹ with Indian digit grouping: 1000000000n paise is ₹1,00,00,000.00. */
function rupees(paise: bigint): string {
  const whole = (paise / 100n).toString();
  const rest = whole.slice(0, -3);
  const grouped = rest === '' ? whole : `${rest.replace(/\B(?=(\d{2})+$)/g, ',')},${whole.slice(-3)}`;
  return `₹${grouped}.${(paise % 100n).toString().padStart(2, '0')}`;
}

function section(report: AmlReport, month: string, items: Candidate[]): string[] {
  const path = report === 'str' ? '/v1/compliance/str-candidates' : '/v1/compliance/ctr';
  const lines = items
    .slice(0, MAX_LISTED)
    .map(
      (c) =>
        `- ${c.userId} (${c.name}, ${c.role}): ${c.reason}${c.direction ? ` ${c.direction}s` : ''} ${rupees(c.amount)}, ${c.transfers.length} transfer(s)`,
    );
  return [
    `${report.toUpperCase()} candidates, ${month} (IST): ${items.length} item(s), ${new Set(items.map((c) => c.userId)).size} user(s)`,
    ...lines,
    items.length > lines.length ? `... and ${items.length - lines.length} more` : '',
    `CSV to file from: GET ${path}?month=${month}&format=csv`,
    '',
  ];
}

/** The monthly compliance report's work (workflows/compliance.ts): both reports, read once. */
export function createComplianceActivities({ db, amlThresholds }: ComplianceDeps) {
  const reports = new ComplianceReports(db, amlThresholds);
  return {
    async produceComplianceReports(input: { month: string }): Promise<ComplianceSummary> {
      const str = await reports.candidates('str', input.month);
      const ctr = await reports.candidates('ctr', input.month);
      const count = (items: Candidate[]) => ({ users: new Set(items.map((c) => c.userId)).size, items: items.length });
      return {
        month: input.month,
        str: count(str),
        ctr: count(ctr),
        subject: `Tijori compliance ${input.month}: ${str.length} STR and ${ctr.length} CTR candidate item(s)`,
        body: [
          `Thresholds: single ${rupees(amlThresholds.singlePaise)}, cumulative ${rupees(amlThresholds.cumulativePaise)} a month.`,
          '',
          ...section('str', input.month, str),
          ...section('ctr', input.month, ctr),
        ].join('\n'),
      };
    },
  };
}
