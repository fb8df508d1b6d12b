import type { Knex } from 'knex';

// The KYC state of each user, cached here for the pre-transaction check and for reads; the KYC
// workflow is its only writer. Aadhaar and PAN exist only as AES-256-GCM ciphertext (key id
// inside), a keyed look-up hash and the last 4 characters.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table kyc_profiles (
      user_id                text primary key references users(id),
      tier                   text not null default 'none' check (tier in ('none','min','full')),
      status                 text not null default 'not_started' check (status in
                               ('not_started','mobile_otp_sent','mobile_verified','aadhaar_otp_sent',
                                'aadhaar_verified','pan_pending','verified','rejected','re_kyc_required')),
      reason                 text,
      re_kyc_required        boolean not null default false,
      re_kyc_marked_at       timestamptz,
      re_kyc_due_at          timestamptz,
      verified_at            timestamptz,
      mobile_otp_hash        text,
      mobile_otp_expires_at  timestamptz,
      mobile_verified_at     timestamptz,
      aadhaar_ciphertext     text,
      aadhaar_hash           text,
      aadhaar_last4          text check (aadhaar_last4 ~ '^[0-9]{4}$'),
      aadhaar_verified_at    timestamptz,
      pan_ciphertext         text,
      pan_hash               text,
      pan_last4              text check (pan_last4 ~ '^[0-9]{3}[A-Z]$'),
      pan_request_id         text unique,
      pan_verified_at        timestamptz,
      created_at             timestamptz not null default now(),
      updated_at             timestamptz not null default now(),
      check ((aadhaar_ciphertext is null) = (aadhaar_hash is null)),
      check ((pan_ciphertext is null) = (pan_hash is null))
    );
    -- one Aadhaar, one PAN per verified user
    create unique index kyc_profiles_aadhaar_hash_key on kyc_profiles (aadhaar_hash) where aadhaar_verified_at is not null;
    create unique index kyc_profiles_pan_hash_key on kyc_profiles (pan_hash) where pan_verified_at is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table kyc_profiles');
}
