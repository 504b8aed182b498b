-- The national holidays and cuti bersama of the SKB 3 Menteri for every year decided (source:
-- holidays/nasional.csv, which names the decree; a test keeps the two equal), into `jam-kerja`
-- and every other calendar except the round-the-clock `24x7`. Days a calendar already has keep
-- its own label. Runs once: a day an operator removes later stays removed.
CREATE TABLE national_holidays_shipped (day DATE PRIMARY KEY NOT NULL, label TEXT NOT NULL);
INSERT INTO national_holidays_shipped (day, label) VALUES
    ('2026-01-01', 'Tahun Baru 2026 Masehi'),
    ('2026-01-16', 'Isra Mikraj Nabi Muhammad SAW'),
    ('2026-02-16', 'Cuti bersama Tahun Baru Imlek'),
    ('2026-02-17', 'Tahun Baru Imlek 2577 Kongzili'),
    ('2026-03-18', 'Cuti bersama Hari Suci Nyepi'),
    ('2026-03-19', 'Hari Suci Nyepi (Tahun Baru Saka 1948)'),
    ('2026-03-20', 'Cuti bersama Idulfitri 1447 H'),
    ('2026-03-21', 'Idulfitri 1447 H'),
    ('2026-03-22', 'Idulfitri 1447 H'),
    ('2026-03-23', 'Cuti bersama Idulfitri 1447 H'),
    ('2026-03-24', 'Cuti bersama Idulfitri 1447 H'),
    ('2026-04-03', 'Wafat Yesus Kristus'),
    ('2026-04-05', 'Kebangkitan Yesus Kristus (Paskah)'),
    ('2026-05-01', 'Hari Buruh Internasional'),
    ('2026-05-14', 'Kenaikan Yesus Kristus'),
    ('2026-05-15', 'Cuti bersama Kenaikan Yesus Kristus'),
    ('2026-05-27', 'Iduladha 1447 H'),
    ('2026-05-28', 'Cuti bersama Iduladha 1447 H'),
    ('2026-05-31', 'Hari Raya Waisak 2570 BE'),
    ('2026-06-01', 'Hari Lahir Pancasila'),
    ('2026-06-16', 'Tahun Baru Islam 1448 H (1 Muharam)'),
    ('2026-08-17', 'Proklamasi Kemerdekaan Republik Indonesia'),
    ('2026-08-25', 'Maulid Nabi Muhammad SAW'),
    ('2026-12-24', 'Cuti bersama Natal'),
    ('2026-12-25', 'Kelahiran Yesus Kristus (Natal)');
INSERT INTO holidays (calendar, day, label)
SELECT c.name, n.day, n.label FROM calendars c CROSS JOIN national_holidays_shipped n
WHERE c.name <> '24x7'
ON CONFLICT DO NOTHING;
DROP TABLE national_holidays_shipped;
