import type { Knex } from 'knex';

/**
 * Admission of a recharge request (src/recharges/admission.ts) as one statement: the advisory
 * lock that serializes admissions is then held for the function's own work, not across five
 * round trips between an API process and PostgreSQL (which capped admissions at a few hundred a
 * second and made every refusal under overload cost seven statements).
 *
 * Answers 'known' (the recharge exists or already holds a ticket: let it through), 'platform' or
 * 'user' (a bound is full: refuse), or 'ticket' (admitted; a ticket now counts it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function admit_recharge(
      p_recharge_id text, p_user_id text, p_max_platform integer, p_max_user integer,
      p_in_flight_statuses text[], p_orphan_seconds integer
    ) returns text language plpgsql as $f$
    declare
      v_platform integer;
      v_mine integer;
      v_again boolean;
    begin
      perform pg_advisory_xact_lock(hashtext('tijori:recharge-admission'));
      if exists (select 1 from recharges where id = p_recharge_id) then return 'known'; end if;
      -- Tickets stop counting once their recharge is final, or when no recharge row ever came.
      delete from recharge_admissions a
       where exists (select 1 from recharges r where r.id = a.recharge_id and r.status <> all(p_in_flight_statuses))
          or (a.admitted_at < now() - make_interval(secs => p_orphan_seconds)
              and not exists (select 1 from recharges r where r.id = a.recharge_id));
      select count(*)::int, (count(*) filter (where user_id = p_user_id))::int,
             coalesce(bool_or(recharge_id = p_recharge_id), false)
        into v_platform, v_mine, v_again
        from recharge_admissions;
      if v_again then return 'known'; end if;
      if v_platform >= p_max_platform then return 'platform'; end if;
      if v_mine >= p_max_user then return 'user'; end if;
      insert into recharge_admissions (recharge_id, user_id) values (p_recharge_id, p_user_id);
      return 'ticket';
    end $f$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists admit_recharge(text, text, integer, integer, text[], integer);');
}
