//! `GET /konsol/langsung`: the live console's event stream (Server-Sent Events). Each open
//! queue or ticket page listens; it hears of the tickets its viewer may see — `ticket` when
//! something happened to one, `typing` when a colleague is writing a reply — and refreshes
//! the part of the page that changed. Without script the pages work by reloading.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::session::Staff;
use super::{OrPage, PageError};
use crate::desk::live::LiveEvent;
use crate::desk::Desk;
use crate::domain::role::Actor;

/// A comment line now and then keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(20);
/// A stream ends after this; the browser reconnects at once, and the session is checked again.
const MAX_STREAM: Duration = Duration::from_secs(15 * 60);

fn frame(event: &LiveEvent) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: {}\ndata: {data}\n\n", event.channel))
}

struct Listener {
    receiver: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    actor: Actor,
    keep_alive: tokio::time::Interval,
    ends: tokio::time::Instant,
}

pub async fn stream(desk: web::Data<Desk>, staff: Staff) -> HttpResponse {
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let listener = Listener {
        receiver: desk.live.subscribe(&desk),
        actor: staff.actor,
        keep_alive,
        ends: tokio::time::Instant::now() + MAX_STREAM,
    };
    // The first bytes tell the browser the stream is open (and how soon to reconnect).
    let opening =
        futures_util::stream::once(async { Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 2000\n\n")) });
    let events = futures_util::stream::unfold(listener, |mut l| async move {
        loop {
            tokio::select! {
                received = l.receiver.recv() => match received {
                    Ok(event) if event.scope.readable_by(&l.actor) => return Some((Ok(frame(&event)), l)),
                    Ok(_) => continue,
                    // Too slow to keep up: the page reloads what it shows.
                    Err(RecvError::Lagged(_)) => {
                        return Some((Ok(Bytes::from_static(b"event: reload\ndata: {}\n\n")), l));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = l.keep_alive.tick() => return Some((Ok(Bytes::from_static(b": ok\n\n")), l)),
                _ = tokio::time::sleep_until(l.ends) => return None,
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::StreamExt::chain(opening, events))
}

#[derive(Deserialize)]
pub struct TypingForm {
    csrf: String,
}

/// `POST /konsol/tiket/{number}/mengetik`: the page says its viewer is writing a reply.
pub async fn typing(
    desk: web::Data<Desk>,
    req: HttpRequest,
    staff: Staff,
    number: web::Path<String>,
    form: web::Form<TypingForm>,
) -> Result<HttpResponse, PageError> {
    staff.check(&req, &form.csrf)?;
    let (actor, number) = (staff.actor.clone(), number.into_inner());
    desk.writer.write(move |tx| crate::desk::live::typing(tx, &actor, &number)).await.or_page(staff.lang)?;
    Ok(HttpResponse::NoContent().finish())
}
