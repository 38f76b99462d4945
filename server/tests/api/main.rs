//! The server's integration suite. Every scenario runs twice: against a fresh PostgreSQL database and
//! against a fresh embedded SQLite file (see `helpers::both!`), through real HTTP on a random port.

#[macro_use]
mod helpers;

mod accounts;
mod backoffice;
mod bus;
mod catalog;
mod cluster;
mod concurrency;
mod devices;
mod errors;
mod images;
mod input;
mod isolation;
mod kitchen;
mod limits;
mod logs;
mod migrations;
mod operations;
mod orders;
mod security;
mod sync;
mod ws;
