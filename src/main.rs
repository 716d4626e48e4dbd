//! The browser entry point: a panic hook that shows the error on the page, then mount.
fn main() {
    smtp_playground::start();
}
