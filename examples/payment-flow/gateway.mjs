// The payment gateway of the payment-flow example: it takes a customer's payment request, signs the payment as a
// payment message (a JWS over the message's canonical JSON) and sends it to the ledger, and seals the card details
// (signed, then encrypted) so that only the ledger can read them. Its payseal client holds sign:<its key> and
// encrypt:<card key> only. Amounts travel as strings ("100.10"): payseal refuses numbers JCS cannot carry exactly.
import express from 'express';
import { PaysealClient } from 'payseal/client';

const { PAYSEAL_URL, PAYSEAL_TOKEN, LEDGER_URL, SIGN_KEY, CARD_KEY, PORT = '0' } = process.env;
const payseal = new PaysealClient({ baseUrl: PAYSEAL_URL, token: PAYSEAL_TOKEN });

const app = express();
app.post('/pay', express.json(), async (req, res, next) => {
  try {
    const { order, amount, currency, creditor, card } = req.body;
    const signed = await payseal.messages.sign({ key: SIGN_KEY, message: { order, amount, currency, creditor } });
    const payment = await fetch(`${LEDGER_URL}/payments`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: signed.jws });
    const { sealed } = await payseal.messages.seal({ sign_key: SIGN_KEY, encrypt_key: CARD_KEY, message: { order, card } });
    const stored = await fetch(`${LEDGER_URL}/card-details`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sealed }) });
    res.status(payment.ok && stored.ok ? 201 : 502).json({ jws: signed.jws, kid: signed.kid, jti: signed.jti, ledger: await payment.json(), card: await stored.json() });
  } catch (e) {
    next(e);
  }
});

const server = app.listen(Number(PORT), '127.0.0.1', () => console.log(`gateway listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
