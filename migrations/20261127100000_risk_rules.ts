import type { Knex } from 'knex';

/**
 * The risk rules engine (src/risk): rules are rows an admin enables, tunes and points at an action
 * (block, review, flag); every review and flag leaves a risk alert for support. The seeded
 * thresholds are deliberately loose, alert-only for the velocity rules, so nothing a normal
 * retailer does is refused on day one; a deployment tightens them with PUT /v1/risk/rules/:id.
 * Amounts are paise, counts are recharges; `window_seconds` is the look-back of counting rules
 * (the dormancy period for dormant_account; null where there is none, daily_spend being the
 * calendar day in India).
 */
const RULES: Array<{
  id: string;
  kind: string;
  threshold: bigint;
  window: number | null;
  action: 'block' | 'review' | 'flag';
  role?: string;
  params?: Record<string, unknown>;
  description: string;
}> = [
  {
    id: 'retailer_velocity_minute',
    kind: 'retailer_velocity',
    threshold: 600n,
    window: 60,
    action: 'flag',
    description: 'more than `threshold` recharges by one user within the window (per minute)',
  },
  {
    id: 'retailer_velocity_hour',
    kind: 'retailer_velocity',
    threshold: 10_000n,
    window: 3600,
    action: 'flag',
    description: 'more than `threshold` recharges by one user within the window (per hour)',
  },
  {
    id: 'subscriber_velocity_hour',
    kind: 'subscriber_velocity',
    threshold: 10_000n,
    window: 3600,
    action: 'flag',
    description: 'more than `threshold` recharges of one subscriber number, across all retailers, within the window',
  },
  {
    id: 'amount_band_structuring',
    kind: 'amount_band',
    threshold: 50n,
    window: 3600,
    action: 'flag',
    params: { minPaise: 4_000_00, maxPaise: 4_999_99 },
    description:
      'more than `threshold` recharges by one user in the amount band [minPaise, maxPaise] within the window',
  },
  {
    id: 'failed_recharges_number',
    kind: 'failed_recharges',
    threshold: 1_000n,
    window: 3600,
    action: 'flag',
    description: '`threshold` or more provider-declined recharges of one subscriber number within the window',
  },
  {
    id: 'first_use_amount',
    kind: 'first_use',
    threshold: 5_000_00n,
    window: null,
    action: 'flag',
    description: "a user's first recharge above `threshold` paise",
  },
  {
    id: 'dormant_account',
    kind: 'dormant_account',
    threshold: 10_000_00n,
    window: 90 * 86_400,
    action: 'review',
    description: 'a wallet unused for the window that moves `threshold` paise or more',
  },
  ...(
    [
      ['retailer', 2_00_000_00n, 10_00_000_00n],
      ['distributor', 10_00_000_00n, 50_00_000_00n],
      ['master_distributor', 50_00_000_00n, 2_00_00_000_00n],
    ] as const
  ).flatMap(([role, single, daily]) => [
    {
      id: `max_single_amount_${role}`,
      kind: 'max_single_amount',
      threshold: single,
      window: null,
      action: 'block' as const,
      role,
      description: `a single movement above \`threshold\` paise by a ${role}`,
    },
    {
      id: `daily_spend_${role}`,
      kind: 'daily_spend',
      threshold: daily,
      window: null,
      action: 'block' as const,
      role,
      description: `a ${role}'s recharges and downline credits of the day (IST) above \`threshold\` paise`,
    },
  ]),
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table risk_rules (
      id             text primary key check (id ~ '^[A-Za-z0-9_]{1,64}$'),
      kind           text not null check (kind in ('retailer_velocity', 'subscriber_velocity', 'amount_band',
                       'failed_recharges', 'first_use', 'dormant_account', 'max_single_amount', 'daily_spend')),
      enabled        boolean not null default true,
      threshold      bigint not null check (threshold >= 0),
      window_seconds integer check (window_seconds is null or window_seconds > 0),
      action         text not null check (action in ('block', 'review', 'flag')),
      -- Whom it applies to: everyone (both null), a role, or one user (which replaces its role's rule of the kind).
      role           text check (role in ('master_distributor', 'distributor', 'retailer')),
      user_id        text references users(id),
      params         jsonb not null default '{}'::jsonb,
      description    text not null,
      updated_at     timestamptz not null default now(),
      check (role is null or user_id is null)
    );
    create table risk_alerts (
      id               text primary key,
      user_id          text not null references users(id),
      rule_id          text not null references risk_rules(id),
      -- The movement that fired it: a recharge, a transfer or a top-up id.
      subject_id       text not null,
      movement         text not null,
      action           text not null check (action in ('review', 'flag')),
      detail           text not null,
      status           text not null default 'open' check (status in ('open', 'resolved')),
      created_at       timestamptz not null default now(),
      resolved_at      timestamptz,
      resolved_by      text references users(id),
      note             text,
      -- Set on the alert that made the user's third within 24 h, which asked for re-KYC.
      triggered_re_kyc boolean not null default false,
      unique (rule_id, subject_id)
    );
    create index risk_alerts_user_time_idx on risk_alerts (user_id, created_at);
    create index risk_alerts_status_time_idx on risk_alerts (status, created_at);
    create index recharges_subscriber_time_idx on recharges (subscriber, created_at);
  `);
  await knex('risk_rules').insert(
    RULES.map((r) => ({
      id: r.id,
      kind: r.kind,
      threshold: r.threshold.toString(),
      window_seconds: r.window,
      action: r.action,
      role: r.role ?? null,
      params: JSON.stringify(r.params ?? {}),
      description: r.description,
    })),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists recharges_subscriber_time_idx;
    drop table if exists risk_alerts;
    drop table if exists risk_rules;
  `);
}
