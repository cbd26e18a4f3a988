// The forms capture.mjs has Chromium fill and submit. `expect` is what the form held, as the
// HTML standard submits it (line breaks in values become CRLF; characters a legacy charset
// lacks become `&#N;` references, which a receiver cannot tell from typed text, so they are
// kept). `charset` is the charset the submission was sent in; `formCharset`, when set, is the
// per-form setting a receiver needs because the body does not name its charset.

const text = (name, value) => ({ type: "text", name, value });
const file = (name, ...files) => ({ type: "file", name, multiple: files.length > 1, files });
const bytes = (s) => [...Buffer.from(s)];

/** Unusual names and values, the same in UTF-8 multipart and urlencoded. */
const unusual = [
  { type: "hidden", name: "_charset_" },
  text("ends\\", "a name ending in a backslash"),
  text("two\\\\back", "two backslashes in a row"),
  text('quote"x', 'say "hi"'),
  text("line\nbreak", "a name with a line break"),
  { type: "textarea", name: "message", value: "first line\nsecond line\n" },
  text("unicode", "naïve ☃ 日本語 🎉"),
  text("empty", ""),
  text("tags[]", "a"),
  text("tags[]", "b"),
];
const unusualExpect = {
  _charset_: "UTF-8",
  "ends\\": "a name ending in a backslash",
  "two\\\\back": "two backslashes in a row",
  'quote"x': 'say "hi"',
  "line\r\nbreak": "a name with a line break",
  message: "first line\r\nsecond line\r\n",
  unicode: "naïve ☃ 日本語 🎉",
  empty: "",
  "tags[]": ["a", "b"],
};

export const CASES = [
  {
    id: "utf8-multipart",
    comment: "UTF-8 page, multipart: backslashes, quote and line break in names and filenames, an empty file input, a multiple file input",
    pageCharset: "utf-8",
    charset: "UTF-8",
    inputs: [
      ...unusual,
      file("doc", { name: 'quote".txt', type: "text/plain", bytes: bytes("hello\n") }),
      file("back\\", { name: "ends\\", type: "application/octet-stream", bytes: [0, 1, 2, 255] }),
      file("nl", { name: "new\nline.txt", type: "text/plain", bytes: bytes("x") }),
      file("nothing"),
      file("many", { name: "a.txt", type: "text/plain", bytes: bytes("A") }, { name: "日本.txt", type: "text/plain", bytes: bytes("日本") }),
    ],
    expect: unusualExpect,
  },
  {
    id: "utf8-urlencoded",
    comment: "UTF-8 page, urlencoded: the same unusual names",
    pageCharset: "utf-8",
    enctype: "application/x-www-form-urlencoded",
    charset: "UTF-8",
    inputs: unusual,
    expect: unusualExpect,
  },
  {
    id: "windows-1252-multipart",
    comment: "windows-1252 page, multipart, with _charset_: accented names and filenames; CJK text becomes &#N; references",
    pageCharset: "windows-1252",
    charset: "windows-1252",
    inputs: [
      { type: "hidden", name: "_charset_" },
      text("café", "crème brûlée € 5"),
      text("cjk", "日本"),
      file("pièce", { name: "résumé.txt", type: "text/plain", bytes: bytes("cv") }),
      file("vide"),
    ],
    expect: { _charset_: "windows-1252", "café": "crème brûlée € 5", cjk: "&#26085;&#26412;" },
  },
  {
    id: "windows-1252-urlencoded",
    comment: "windows-1252 page, urlencoded, with _charset_",
    pageCharset: "windows-1252",
    enctype: "application/x-www-form-urlencoded",
    charset: "windows-1252",
    inputs: [{ type: "hidden", name: "_charset_" }, text("café", "crème brûlée € 5"), text("cjk", "日本")],
    expect: { _charset_: "windows-1252", "café": "crème brûlée € 5", cjk: "&#26085;&#26412;" },
  },
  {
    id: "shift_jis-multipart",
    comment: "Shift_JIS page, multipart, with _charset_: 表 and ソ end in byte 0x5C (a backslash) right before the closing quote",
    pageCharset: "shift_jis",
    charset: "Shift_JIS",
    inputs: [
      { type: "hidden", name: "_charset_" },
      text("表", "ソ"),
      text("名前", "日本語のテキスト"),
      file("添付", { name: "表.txt", type: "text/plain", bytes: bytes("sjis") }),
    ],
    expect: { _charset_: "Shift_JIS", "表": "ソ", "名前": "日本語のテキスト" },
  },
  {
    id: "shift_jis-urlencoded",
    comment: "Shift_JIS page, urlencoded, with _charset_",
    pageCharset: "shift_jis",
    enctype: "application/x-www-form-urlencoded",
    charset: "Shift_JIS",
    inputs: [{ type: "hidden", name: "_charset_" }, text("表", "ソ"), text("名前", "日本語のテキスト")],
    expect: { _charset_: "Shift_JIS", "表": "ソ", "名前": "日本語のテキスト" },
  },
  {
    id: "shift_jis-multipart-form-setting",
    comment: "Shift_JIS page, multipart, no _charset_ field: only the form's charset setting tells",
    pageCharset: "shift_jis",
    charset: "Shift_JIS",
    formCharset: "Shift_JIS",
    inputs: [text("表", "ソ"), file("添付", { name: "ソ.txt", type: "text/plain", bytes: bytes("x") })],
    expect: { "表": "ソ" },
  },
  {
    id: "accept-charset-urlencoded",
    comment: "UTF-8 page, form accept-charset=windows-1252, urlencoded, no _charset_ field: the form's setting tells",
    pageCharset: "utf-8",
    acceptCharset: "windows-1252",
    enctype: "application/x-www-form-urlencoded",
    charset: "windows-1252",
    formCharset: "windows-1252",
    inputs: [text("naïve", "déjà vu")],
    expect: { "naïve": "déjà vu" },
  },
  {
    id: "empty-file-inputs",
    comment: "eleven optional file inputs left empty and one text field: nothing was uploaded",
    pageCharset: "utf-8",
    charset: "UTF-8",
    inputs: [...Array.from({ length: 11 }, (_, i) => file(`upload${i}`)), text("note", "only text")],
    expect: { note: "only text" },
  },
];

/** Hand-written bodies for what no browser sends but other clients do, or what must be
 * refused; `body` is Latin-1 text (one byte per character). */
const part = (disposition, content) => `--b\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n${content}\r\n`;
export const SYNTHETIC = [
  {
    id: "go-escaped-quotes",
    comment: "Go's mime/multipart writer escapes \" and \\ in quoted names and filenames",
    content_type: "multipart/form-data; boundary=b",
    body: `${part('name="a\\"b"', "1")}${part('name="f"; filename="c\\\\d\\".txt"', "x")}--b--`,
    result: "valid",
    fields: { 'a"b': "1" },
    files: [{ field: "f", filename: 'c\\d".txt', content_type: "application/octet-stream", size: 1, sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" }],
  },
  {
    id: "bare-lf-before-first-boundary",
    comment: "a preamble ending in a bare LF: every part is read",
    content_type: "multipart/form-data; boundary=b",
    body: `preamble\n${part("name=first", "1")}${part("name=second", "2")}--b--`,
    result: "valid",
    fields: { first: "1", second: "2" },
    files: [],
  },
  {
    id: "boundary-inside-preamble-text",
    comment: "the first boundary is not at the start of a line: refused, never read from the next boundary",
    content_type: "multipart/form-data; boundary=b",
    body: `junk${part("name=first", "1")}${part("name=second", "2")}--b--`,
    result: "invalid",
    error: "multipart_misplaced_delimiter",
  },
  {
    id: "extended-filename-only",
    comment: "filename* (RFC 8187) as the only file name",
    content_type: "multipart/form-data; boundary=b",
    body: `${part("name=f; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt", "x")}--b--`,
    result: "valid",
    fields: {},
    files: [{ field: "f", filename: "naïve €.txt", content_type: "application/octet-stream", size: 1, sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" }],
  },
  {
    id: "windows-path-filename",
    comment: "an old browser's full Windows path is kept as sent (the core offers the base name separately)",
    content_type: "multipart/form-data; boundary=b",
    body: `${part('name=cv; filename="C:\\Users\\ada\\cv.pdf"', "x")}--b--`,
    result: "valid",
    fields: {},
    files: [{ field: "cv", filename: "C:\\Users\\ada\\cv.pdf", content_type: "application/octet-stream", size: 1, sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" }],
  },
  {
    id: "filename-too-long",
    comment: "a file name over 1,024 bytes",
    content_type: "multipart/form-data; boundary=b",
    body: `${part(`name=f; filename="${"n".repeat(1025)}"`, "x")}--b--`,
    result: "invalid",
    error: "filename_too_long",
  },
  {
    id: "invalid-percent-kept",
    comment: "a % not followed by two hex digits stays as it is (WHATWG URL)",
    content_type: "application/x-www-form-urlencoded",
    body: "a=100%&b=%zz&c=%4",
    result: "valid",
    fields: { a: "100%", b: "%zz", c: "%4" },
    files: [],
  },
  {
    id: "empty-name",
    comment: "a pair with an empty name: no browser sends one",
    content_type: "application/x-www-form-urlencoded",
    body: "=x",
    result: "invalid",
    error: "empty_field_name",
  },
  {
    id: "unknown-charset-field",
    comment: "a _charset_ field naming no WHATWG encoding",
    content_type: "application/x-www-form-urlencoded",
    body: "_charset_=utf-7&a=1",
    result: "invalid",
    error: "unknown_charset",
  },
];
