UPDATE tags SET covered = CAST(json_extract(details, '$.household_size') AS INTEGER)
WHERE kind = 'dibao' AND json_valid(details)
  AND json_extract(details, '$.household_size') NOT GLOB '*[^0-9]*'
  AND length(json_extract(details, '$.household_size')) BETWEEN 1 AND 9;
