//! The demo city's status page: one outage that ended three weeks ago, one going on now, and
//! maintenance announced for tomorrow night, written through the same use cases as staff use.

use chrono::{DateTime, Duration, Utc};

use crate::clock::ManualClock;
use crate::desk::disruptions::{self, EndDisruption, NewDisruption, NewUpdate};
use crate::desk::{Desk, DeskResult};
use crate::domain::disruption::DisruptionState;
use crate::domain::role::Actor;

fn declare(desk: &Desk, actor: &Actor, input: NewDisruption) -> DeskResult<String> {
    let (d, actor) = (desk.clone(), actor.clone());
    desk.writer.write_blocking(move |tx| Ok(disruptions::declare(tx, &d, &actor, input)?.id))
}

fn publish(desk: &Desk, actor: &Actor, id: &str, body: &str, state: Option<DisruptionState>) -> DeskResult<()> {
    let (actor, id, body) = (actor.clone(), id.to_string(), body.to_string());
    desk.writer.write_blocking(move |tx| {
        disruptions::publish_update(tx, &actor, &id, NewUpdate { body, state, expected_end: None }).map(drop)
    })
}

pub fn seed(desk: &Desk, clock: &ManualClock, tier2: &Actor, now: DateTime<Utc>) -> DeskResult<()> {
    let outage = |service: &str, state: DisruptionState, title: &str, update: &str| NewDisruption {
        service: service.into(),
        state,
        title: title.into(),
        update: Some(update.into()),
        ticket: None,
        starts_at: None,
        expected_end: None,
    };
    clock.set(now - Duration::days(21));
    let past = declare(
        desk,
        tier2,
        outage(
            "SIMPUS",
            DisruptionState::MajorOutage,
            "SIMPUS tidak dapat diakses",
            "Server aplikasi SIMPUS tidak merespons; tim sedang memeriksa.",
        ),
    )?;
    clock.set(now - Duration::days(21) + Duration::minutes(70));
    publish(desk, tier2, &past, "Penyebabnya disk server penuh; ruang sedang dikosongkan.", None)?;
    clock.set(now - Duration::days(21) + Duration::minutes(185));
    let (actor, id) = (tier2.clone(), past.clone());
    desk.writer.write_blocking(move |tx| {
        let update = Some("SIMPUS sudah dapat diakses kembali. Mohon maaf atas gangguannya.".to_string());
        disruptions::end(tx, &actor, &id, EndDisruption { update }).map(drop)
    })?;
    clock.set(now - Duration::minutes(40));
    let current = declare(
        desk,
        tier2,
        outage(
            "ANTRIAN",
            DisruptionState::PartialOutage,
            "Antrian online Dukcapil lambat",
            "Sebagian pengguna gagal mengambil nomor antrian.",
        ),
    )?;
    clock.set(now - Duration::minutes(10));
    publish(desk, tier2, &current, "Kapasitas server ditambah; nomor antrian yang sudah diambil tetap berlaku.", None)?;
    clock.set(now);
    let tomorrow_night = now + Duration::hours(24);
    declare(
        desk,
        tier2,
        NewDisruption {
            service: "EPBB".into(),
            state: DisruptionState::Maintenance,
            title: "Pemeliharaan server e-PBB".into(),
            update: Some("Pembaruan sistem; e-PBB tidak dapat diakses selama dua jam.".into()),
            ticket: None,
            starts_at: Some(tomorrow_night),
            expected_end: Some(tomorrow_night + Duration::hours(2)),
        },
    )?;
    Ok(())
}
