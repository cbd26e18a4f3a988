//! Prints the worker's OpenAPI document (`scripts/openapi` writes it to `worker/openapi.json`).

fn main() {
    print!("{}", formhook_worker::api_doc::document_text());
}
