-- 002: a KEK rotation retires the KEKs it replaced instead of deleting their check rows. A retired KEK can
-- still unwrap (a process may hold it as PAYSEAL_KEK_PREVIOUS), but no process may wrap new versions under it
-- or start with it as its current KEK: a straggler replica left on the old KEK would otherwise write rows that
-- the rest of the fleet, holding only the new KEK, can no longer read.
ALTER TABLE kek_checks ADD COLUMN retired_at timestamptz;
