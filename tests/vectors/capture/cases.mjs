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
