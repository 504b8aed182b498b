//! The JSON API under `/api/v1` (SPEC section 5).

pub mod accounts;
pub mod auth;
pub mod bulk;
pub mod canned;
pub mod catalog;
pub mod directory;
pub mod disruptions;
pub mod followers;
pub mod incidents;
pub mod kb;
pub mod mail;
pub mod merge;
pub mod personal_data;
pub mod public;
pub mod reports;
pub mod requesters;
pub mod saved_views;
pub mod sla;
pub mod telegram;
pub mod tickets;
pub mod webhooks;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            // Tickets first: routes are tried in order, and a path with a parameter costs a
            // pattern match; opening and reading tickets is most of the traffic.
            .route("/tickets", web::post().to(tickets::open))
            .route("/tickets", web::get().to(tickets::list))
            .route("/tickets/bulk", web::post().to(bulk::bulk))
            .route("/tickets/{number}", web::get().to(tickets::detail))
            .route("/tickets/{number}/messages", web::post().to(tickets::add_message))
            .route("/tickets/{number}/attachments", web::get().to(tickets::attachments))
            .route("/tickets/{number}/attachments/{id}", web::get().to(tickets::attachment))
            .route("/tickets/{number}/events", web::get().to(tickets::events))
            .route("/tickets/{number}/merge", web::post().to(merge::merge))
            .route("/tickets/{number}/followers", web::get().to(followers::list))
            .route("/tickets/{number}/followers", web::post().to(followers::add))
            .route("/tickets/{number}/followers/{key}", web::delete().to(followers::remove))
            .route("/tickets/{number}/links", web::post().to(tickets::link))
            .route("/tickets/{number}/links", web::get().to(tickets::links))
            .route("/tickets/{number}/deliveries", web::get().to(tickets::deliveries))
            .route("/tickets/{number}/links/{incident}", web::delete().to(tickets::unlink))
            .route("/tickets/{number}/flag", web::post().to(incidents::flag))
            .route("/tickets/{number}/unflag", web::post().to(incidents::clear))
            .route("/tickets/{number}/incident-notice", web::post().to(incidents::produce_notice))
            .route("/tickets/{number}/incident-notice", web::get().to(incidents::latest_notice))
            .route("/tickets/{number}/breach-notified", web::post().to(incidents::breach_notified))
            .route("/tickets/{number}/kb-article", web::post().to(kb::from_ticket))
            .route("/tickets/{number}/{action}", web::post().to(tickets::act))
            .route("/openapi.json", web::get().to(super::openapi::document))
            .route("/auth/token", web::post().to(auth::issue_token))
            .route("/auth/token", web::delete().to(auth::revoke_token))
            .route("/auth/password", web::post().to(accounts::change_password))
            .route("/auth/totp", web::post().to(auth::totp_begin))
            .route("/auth/totp", web::delete().to(auth::totp_disable))
            .route("/auth/totp/confirm", web::post().to(auth::totp_confirm))
            .route("/auth/signins", web::get().to(auth::signins))
            .route("/auth/sessions", web::get().to(auth::sessions))
            .route("/auth/sessions", web::delete().to(auth::end_sessions))
            .route("/auth/password-reset", web::post().to(accounts::request_reset))
            .route("/auth/password-reset/confirm", web::post().to(accounts::confirm_reset))
            .route("/auth/me", web::get().to(auth::me))
            .route("/units", web::get().to(catalog::list_units))
            .route("/units", web::post().to(catalog::create_unit))
            .route("/units/{code}", web::patch().to(accounts::update_unit))
            .route("/services", web::get().to(catalog::list_services))
            .route("/services", web::post().to(catalog::create_service))
            .route("/services/{code}", web::patch().to(accounts::update_service))
            .route("/users", web::get().to(catalog::list_users))
            .route("/users", web::post().to(catalog::create_user))
            .route("/users/{username}", web::patch().to(accounts::update_user))
            .route("/users/{username}/password", web::post().to(accounts::set_temporary_password))
            .route("/users/{username}/totp", web::delete().to(accounts::reset_two_factor))
            .route("/directory/group-mappings", web::get().to(directory::mappings))
            .route("/directory/group-mappings", web::put().to(directory::replace_mappings))
            .service(
                web::resource("/import/{kind}")
                    .app_data(web::PayloadConfig::new(directory::IMPORT_BODY_LIMIT))
                    .route(web::post().to(directory::import_csv)),
            )
            .route("/disruptions", web::get().to(disruptions::list))
            .route("/disruptions", web::post().to(disruptions::declare))
            .route("/disruptions/{id}", web::get().to(disruptions::show))
            .route("/disruptions/{id}/updates", web::post().to(disruptions::publish_update))
            .route("/disruptions/{id}/end", web::post().to(disruptions::end))
            .route("/alerts", web::get().to(disruptions::list_alerts))
            .route("/alerts", web::post().to(disruptions::generic))
            .route("/alerts/alertmanager", web::post().to(disruptions::alertmanager))
            .route("/public/status", web::get().to(disruptions::public_status))
            .route("/public/status/{service}", web::get().to(disruptions::public_service))
            .route("/calendars", web::get().to(sla::list_calendars))
            .route("/calendars", web::post().to(sla::create_calendar))
            .route("/calendars/{name}", web::get().to(sla::show_calendar))
            .route("/calendars/{name}", web::patch().to(sla::update_calendar))
            .route("/calendars/{name}/holidays", web::post().to(sla::add_holidays))
            .route("/calendars/{name}/holidays/import", web::post().to(sla::import_holidays))
            .route("/calendars/{name}/holidays/{date}", web::delete().to(sla::remove_holiday))
            .route("/sla/policies", web::get().to(sla::list_policies))
            .route("/sla/policies/{priority}", web::patch().to(sla::update_policy))
            .route("/sla/due", web::get().to(sla::due))
            .route("/reports", web::get().to(reports::report))
            .route("/reports/archive", web::get().to(reports::list_archived))
            .route("/reports/archive", web::post().to(reports::archive_now))
            .route("/reports/archive/{id}", web::get().to(reports::show_archived))
            .route("/reports/archive/{id}/reviews", web::post().to(reports::add_review))
            .route("/reports/archive/{id}/{format}", web::get().to(reports::archived_file))
            .route("/reports/evidence", web::get().to(reports::evidence))
            .route("/telegram/link-codes", web::post().to(telegram::link_code))
            .route("/webhooks", web::get().to(webhooks::list))
            .route("/webhooks", web::post().to(webhooks::create))
            .route("/webhooks/{id}", web::get().to(webhooks::show))
            .route("/webhooks/{id}", web::patch().to(webhooks::update))
            .route("/webhooks/{id}", web::delete().to(webhooks::delete))
            .route("/webhooks/{id}/deliveries", web::get().to(webhooks::deliveries))
            .route("/webhooks/{id}/test", web::post().to(webhooks::test))
            .route("/personal-data/export", web::get().to(personal_data::export))
            .route("/personal-data/anonymise", web::post().to(personal_data::anonymise))
            .route("/requesters/{id}", web::patch().to(requesters::update))
            .route("/mailboxes", web::get().to(mail::list_mailboxes))
            .route("/mailboxes", web::post().to(mail::create_mailbox))
            .route("/mail/quarantine", web::get().to(mail::quarantine_list))
            .route("/mail/quarantine/{id}", web::get().to(mail::quarantine_entry))
            .route("/mail/quarantine/{id}/raw", web::get().to(mail::quarantine_raw))
            .route("/mail/quarantine/{id}/ticket", web::post().to(mail::quarantine_make_ticket))
            .route("/mail/quarantine/{id}/discard", web::post().to(mail::quarantine_discard))
            .service(
                web::resource("/channels/email/inbound")
                    .app_data(web::PayloadConfig::new(mail::INBOUND_BODY_LIMIT))
                    .route(web::post().to(mail::inbound)),
            )
            .route("/saved-views", web::get().to(saved_views::list))
            .route("/saved-views", web::post().to(saved_views::save))
            .route("/saved-views/{id}", web::delete().to(saved_views::delete))
            .route("/canned-replies", web::get().to(canned::list))
            .route("/canned-replies", web::post().to(canned::create))
            .route("/canned-replies/{id}", web::patch().to(canned::update))
            .route("/canned-replies/{id}", web::delete().to(canned::delete))
            .route("/canned-replies/{id}/files", web::post().to(canned::add_files))
            .route("/canned-replies/{id}/files/{file}", web::delete().to(canned::remove_file))
            .route("/kb/articles", web::get().to(kb::search))
            .route("/kb/articles", web::post().to(kb::create))
            .route("/kb/articles/{slug}", web::get().to(kb::read))
            .route("/kb/articles/{slug}", web::patch().to(kb::update))
            .route("/public/kb", web::get().to(kb::public_search))
            .route("/public/kb/{slug}", web::get().to(kb::public_read))
            .route("/public/kb/{slug}/feedback", web::post().to(kb::vote))
            .route("/public/tickets", web::post().to(public::open))
            .route("/public/tickets/{number}", web::get().to(public::track))
            .route("/public/tickets/{number}/messages", web::post().to(public::reply))
            .route("/public/tickets/{number}/attachments/{id}", web::get().to(public::attachment))
            .route("/public/tickets/{number}/csat", web::post().to(super::csat_page::api_rate)),
    );
}
