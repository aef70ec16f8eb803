// The ledger service of the payment-flow example: it books payments that arrive as signed payment messages and
// stores card details that arrive sealed. It trusts nothing it cannot verify through payseal: paysealMiddleware
// verifies each payment message (signature, key version, age) and consumes its jti, so a message delivered twice,
// to this replica or any other, is refused as `replayed`. Its payseal client holds verify:<gateway key> and
// decrypt:<card key> only: it can check and open, never sign.
import express from 'express';
import { PaysealClient, paysealMiddleware } from 'payseal/client';

const { PAYSEAL_URL, PAYSEAL_TOKEN, PORT = '0' } = process.env;
const payseal = new PaysealClient({ baseUrl: PAYSEAL_URL, token: PAYSEAL_TOKEN });
const booked = [];
const cards = new Map();

const app = express();

// A payment: the body is the compact JWS itself (Content-Type application/jose).
app.post('/payments', express.text({ type: () => true }), paysealMiddleware(payseal, { maxAgeSeconds: 300 }), (req, res) => {
  const { message, kid, jti } = req.payseal;
  booked.push({ ...message, signed_by: kid, jti });
  res.status(201).json({ booked: message.order, amount: message.amount, currency: message.currency, signed_by: kid });
});

// Card details: a sealed message (JWE around a JWS) that only this service can open.
app.post('/card-details', express.json(), async (req, res) => {
  const opened = await payseal.messages.open({ sealed: req.body?.sealed, max_age_seconds: 300, consume: true });
  if (!opened.valid) return res.status(401).json({ error: { code: 'invalid_payment_message', reason: opened.reason } });
  const { order, card } = opened.message;
  cards.set(order, card);
  res.status(201).json({ order, card: `**** ${String(card).slice(-4)}`, signed_by: opened.kid });
});

app.get('/entries', (_req, res) => res.json({ booked, cards: cards.size }));

const server = app.listen(Number(PORT), '127.0.0.1', () => console.log(`ledger listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
