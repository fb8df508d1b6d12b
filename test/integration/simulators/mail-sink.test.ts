import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { createEmailSender } from '../../../src/notify/email';
import { getJson, startWithReceiver, type Json } from './receiver';

describe('mail sink', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  before(async () => {
    env = await startWithReceiver();
  });
  after(() => env.stop());

  test('createEmailSender delivers over SMTP; GET /messages?to= lists it newest first', async () => {
    const mail = createEmailSender(
      { ...env.config.notify.smtp, port: env.sims.urls.smtpPort },
      env.config.notify.mailFrom,
    );
    try {
      const first = await mail.send('retailer@example.in', 'Top-up received', 'Your wallet was credited ₹500.00.');
      const second = await mail.send('Retailer@Example.in', 'Recharge failed', 'Refunded.');
      await mail.send('other@example.in', 'not for you', '.');
      const { body } = await getJson(`${env.sims.urls.mailHttp}/messages?to=retailer@example.in`);
      assert.deepEqual(
        body.items.map((m: Json) => [m.messageId, m.subject, m.text.trim(), m.from]),
        [
          [second.messageId, 'Recharge failed', 'Refunded.', 'no-reply@tijori.local'],
          [first.messageId, 'Top-up received', 'Your wallet was credited ₹500.00.', 'no-reply@tijori.local'],
        ],
      );
    } finally {
      mail.close();
    }
  });

  test('Bcc recipients find their mail through the envelope; HTML bodies are kept', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: env.sims.urls.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({
        from: 'ops@tijori.local',
        to: 'team@example.in',
        bcc: 'audit@example.in',
        subject: 'Ledger verified',
        html: '<p>All <b>good</b></p>',
      });
    } finally {
      transport.close();
    }
    const { body } = await getJson(`${env.sims.urls.mailHttp}/messages?to=audit@example.in`);
    assert.equal(body.items.length, 1);
    assert.equal(body.items[0].subject, 'Ledger verified');
    assert.deepEqual(body.items[0].to, ['team@example.in']);
    assert.match(body.items[0].html, /<b>good<\/b>/);
  });
});
