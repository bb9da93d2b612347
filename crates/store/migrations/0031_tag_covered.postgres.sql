-- The CASE keeps the cast off details that aren't JSON (sealed kinds): PostgreSQL does not
-- promise to test `kind` first.
UPDATE tags SET covered = (details::jsonb ->> 'household_size')::bigint
WHERE kind = 'dibao'
  AND CASE WHEN details LIKE '{%' THEN (details::jsonb ->> 'household_size') ~ '^[0-9]{1,9}$' ELSE false END;
