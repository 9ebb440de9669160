-- 014: custody_from_micros is exact for every representable time (years 1-9999).
--
-- `us * interval '1 microsecond'` multiplies the interval by a double precision number, so beyond 2^53
-- microseconds from 1970 (before about 1685, after about 2255) the last digits were rounded: an event appended
-- with such an `occurredAt` was stored, and hashed, at a time a few microseconds off what was sent, while an
-- import computes the hash in Swift from the exact value. Found by the property test that asks PostgreSQL
-- (CanonicalTextTests). Whole seconds and the remaining microseconds are each exact in a double.
CREATE OR REPLACE FUNCTION custody_from_micros(us bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 'epoch'::timestamptz + (us / 1000000) * interval '1 second' + (us % 1000000) * interval '1 microsecond';
