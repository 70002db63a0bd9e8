// Golden files for TokenizerJsonTest, written by Hugging Face tokenizers itself (the Rust library's
// Node binding, pinned in package.json). Deliberately not a test: run it by hand when a fixture
// must change; CI only reads what it wrote, and needs no node.
//
//   d=$(mktemp -d) && cp package.json package-lock.json "$d" && (cd "$d" && npm ci)
//   (cd "$d" && node "$OLDPWD/make-fixture.mjs")      # node_modules stay out of the source tree
//
// after a change to TokenizerJson.write, first (from the repository root):
//   mvn -o -q test -pl dl-core -Dtest=TokenizerJsonTest -Dkindling.regenerateFixtures=true
//
// It writes, next to itself:
//   gpt2.tokenizer.json               GPT-2's layout: ByteLevel(use_regex=true) pre-tokenizer, merges
//                                     as "a b" strings, <|endoftext|> in the vocab and added_tokens
//   gpt2-prefix-space.tokenizer.json  the same with add_prefix_space=true
//   split.tokenizer.json              Llama-3's layout, as the library saves it: Sequence[Split(regex,
//                                     Isolated), ByteLevel(use_regex=false)], ignore_merges=true, merges
//                                     as pairs, two special tokens outside the vocab, one normalized
//                                     added token, and a vocab token no merge reaches
//   unk-fused-splits.tokenizer.json   printable ASCII only, so other bytes are <unk> (fused; unfused in
//   unk-splits.tokenizer.json         the second), cut by Splits of the other four behaviors, one inverted
//   expected-ids.json                 for every tokenizer.json here (kindling-bpe.tokenizer.json too,
//                                     which Kindling exports: TokenizerJsonTest writes it when run with
//                                     -Dkindling.regenerateFixtures=true, before this script), the
//                                     library's ids, decoded text and pre-tokens for each text
//
// The gpt2 and split tokenizers are "trained elsewhere": merges are learned here, in plain JS, from a corpus
// this script generates (seeded, so a re-run writes the same files), on pre-tokens the library cut.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(process.cwd(), 'make-fixture.cjs'));
const { Tokenizer } = require('tokenizers');
const version = require('tokenizers/package.json').version;
const here = path.dirname(fileURLToPath(import.meta.url));

// Every text is encoded by every tokenizer; the Java test asserts ids, decoded text and pre-tokens.
const TEXTS = [
  '',
  'word',
  ' word',
  'Hello world',
  "Hello, world! How's it going? I'm fine; they'll say we'd've... don't",
  "IT'S CAPS'LL 'tis 's 't 're 've 'm 'll 'd",
  "it'\u017f old '\u017f: the long s folds to s under (?i)",
  'a  b   c    d',
  '   leading and trailing   ',
  'line one\nline two\n\nline four\n',
  'windows\r\nline\r\n\r\n',
  'tab\tseparated\tvalues\t\t end',
  '  \n  \n',
  'café naïve Zürich façade señor Ærøskøbing',
  'e\u0301 combining acute, n\u0303 and ñ',
  '日本語のテキストです。中文也可以。한국어 텍스트',
  'emoji 👍🏽 family 👨‍👩‍👧 flag 🇫🇷 😀😀',
  'numbers 0 7 42 1234567890 3.14159 1,000,000 x2 2x',
  'Arabic-Indic ٠١٢٣٤٥٦٧٨٩ Devanagari ०१२३ fullwidth １２３ Thai ๑๒๓',
  'numbers that are not decimal digits: ² ³ ½ Ⅻ ① ⅷ',
  'math 𝐀𝐁𝐂 𝟏𝟐𝟑 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'Ǆemal ʰaspirated ǅ titlecase',
  'no\u00a0break\u3000ideographic\u2028line\u2029para\u0085nel\u000bvt\u000cff',
  'zero\u200bwidth\u200djoiner',
  'symbols !!! ??? ... --- @#$%^&*() [] {} <> \\ / | ~ `',
  'Ελληνικά κείμενο и русский текст',
  'ﬁ ligature, ß, İstanbul, ΣΑΣ',
  'x<|endoftext|>y',
  '<|endoftext|><|endoftext|> <|endoftext|>\n<|endoftext',
  '<|begin_of_text|>Hi there<|end_of_text|>',
  '[[user]] hello [[user]]',
  'I use Kindling; Kindling is a trainer.',
  'The quick brown fox jumps over the lazy dog. '.repeat(3),
];

// Letters and digits assigned after Unicode 13 (Java 17's): Oniguruma knows them, Java 17 does not.
const NEWER_UNICODE_TEXTS = [
  ' \u0870\u0871 Arabic letters of Unicode 14',
  'Nag Mundari digits \u{1E4F0}\u{1E4F1} of Unicode 15',
];

const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// GPT-2's bytes_to_unicode, in its dict order: GPT-2 gives ids 0-255 to the bytes in this order.
function byteSymbols() {
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return cs.map((c) => String.fromCodePoint(c));
}

// mulberry32: a seeded generator, so the corpus (and everything learned from it) is reproducible
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus() {
  const r = rng(23);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const words = ['the', 'and', 'of', 'to', 'in', 'a', 'is', 'that', 'for', 'it', 'was', 'on', 'with', 'he', 'as',
    'they', 'be', 'at', 'one', 'have', 'this', 'from', 'word', 'world', 'hello', 'there', 'going', 'fine', 'quick',
    'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'line', 'value', 'number', 'trainer', 'token', 'model', 'text'];
  const contractions = ["it's", "I'm", "don't", "they'll", "we'd", "you've", "we're", "isn't"];
  const foreign = ['café', 'naïve', 'Zürich', 'señor', 'façade', 'über', 'Straße', '日本語', 'テキスト', '中文', '한국어',
    'русский', 'текст', 'Ελληνικά', 'ñandú'];
  const emoji = ['👍', '😀', '🇫🇷', '👨‍👩‍👧', '✓'];
  const punct = [',', '.', '!', '?', ';', ':', ' -', '...'];
  const out = [];
  for (let s = 0; s < 600; s++) {
    const n = 3 + Math.floor(r() * 12);
    const sentence = [];
    for (let i = 0; i < n; i++) {
      const u = r();
      let w = u < 0.7 ? pick(words) : u < 0.8 ? pick(contractions) : u < 0.88 ? pick(foreign)
        : u < 0.95 ? String(Math.floor(r() * (r() < 0.5 ? 100 : 100000))) : pick(emoji);
      if (i === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
      sentence.push(w);
    }
    out.push(sentence.join(r() < 0.1 ? '  ' : ' ') + pick(punct) + (r() < 0.2 ? '\n' : r() < 0.05 ? '\r\n' : ' '));
  }
  return out.join('');
}

// Greedy BPE on pre-token counts: the most frequent adjacent pair (ties: the smaller "a b") becomes
// the next merge; a merge whose result is already in the vocab reuses its id, as the library's
// BpeTrainer does.
function train(pieces, vocab, count) {
  const freq = new Map();
  for (const p of pieces) freq.set(p, (freq.get(p) || 0) + 1);
  const words = [...freq].map(([w, c]) => ({ syms: Array.from(w), c }));
  const merges = [];
  for (let m = 0; m < count; m++) {
    const pairs = new Map();
    for (const { syms, c } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + ' ' + syms[i + 1];
        pairs.set(k, (pairs.get(k) || 0) + c);
      }
    }
    let best = null;
    let bestCount = 1;
    for (const [k, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== null && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (best === null) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
    for (const w of words) {
      const next = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          next.push(a + b);
          i++;
        } else {
          next.push(w.syms[i]);
        }
      }
      w.syms = next;
    }
  }
  return merges;
}

function byteLevel(addPrefixSpace, useRegex) {
  return { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex };
}

function tokenizerJson({ preTokenizer, vocab, merges, addedTokens, ignoreMerges }) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map(([id, content, special]) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: byteLevel(false, true),
    decoder: byteLevel(true, true),
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: ignoreMerges, vocab, merges,
    },
  };
}

function learn(preTokenizer, text, mergeCount) {
  const vocab = {};
  byteSymbols().forEach((s, i) => (vocab[s] = i));
  const empty = tokenizerJson({ preTokenizer, vocab, merges: [], addedTokens: [], ignoreMerges: false });
  const cutter = Tokenizer.fromString(JSON.stringify(empty)).getPreTokenizer();
  const pieces = cutter.preTokenizeString(text).map(([p]) => p);
  const merges = train(pieces, vocab, mergeCount);
  return { vocab, merges };
}

function gpt2Files(text) {
  const { vocab, merges } = learn(byteLevel(false, true), text, 400);
  const eot = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = eot;
  const make = (addPrefixSpace) => tokenizerJson({
    preTokenizer: byteLevel(addPrefixSpace, true),
    vocab,
    merges: merges.map(([a, b]) => a + ' ' + b),
    addedTokens: [[eot, '<|endoftext|>', true]],
    ignoreMerges: false,
  });
  return { 'gpt2.tokenizer.json': make(false), 'gpt2-prefix-space.tokenizer.json': make(true) };
}

function splitFile(text) {
  const preTokenizer = {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: LLAMA3_REGEX }, behavior: 'Isolated', invert: false },
      byteLevel(false, false),
    ],
  };
  const { vocab, merges } = learn(preTokenizer, text, 300);
  // no merge reaches this token: only ignore_merges=true encodes " Kindling" as one id
  vocab['ĠKindling'] = Object.keys(vocab).length;
  const n = Object.keys(vocab).length;
  const json = tokenizerJson({
    preTokenizer, vocab, merges,
    addedTokens: [[n, '<|begin_of_text|>', true], [n + 1, '<|end_of_text|>', true], [n + 2, '[[user]]', false]],
    ignoreMerges: true,
  });
  // written back by the library, so the file is in the layout it saves today
  const tmp = path.join(process.cwd(), 'split.tokenizer.json');
  Tokenizer.fromString(JSON.stringify(json)).save(tmp, true);
  return { 'split.tokenizer.json': JSON.parse(fs.readFileSync(tmp, 'utf8')) };
}

// Not byte-level complete: printable ASCII and a few merges, every other byte an <unk> (fused or
// not); and each Split behavior the library has, on the real library's terms.
function unkAndSplitsFiles() {
  const vocab = { '<unk>': 0 };
  for (let b = 0x21; b <= 0x7e; b++) vocab[String.fromCharCode(b)] = Object.keys(vocab).length;
  const merges = [['t', 'h'], ['th', 'e'], ['i', 'n'], ['in', 'g'], ['e', 'r']];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const preTokenizer = {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Split', pattern: { Regex: '\\p{N}+' }, behavior: 'MergedWithNext', invert: false },
      { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { Regex: '[aeiou]' }, behavior: 'Contiguous', invert: true },
      byteLevel(false, false),
    ],
  };
  const make = (fuseUnk) => {
    const json = tokenizerJson({ preTokenizer, vocab, merges, addedTokens: [], ignoreMerges: false });
    json.model.unk_token = '<unk>';
    json.model.fuse_unk = fuseUnk;
    return json;
  };
  return { 'unk-fused-splits.tokenizer.json': make(true), 'unk-splits.tokenizer.json': make(false) };
}

async function record(file, texts) {
  const tok = Tokenizer.fromFile(path.join(here, file));
  const pre = tok.getPreTokenizer();
  const out = { ids: [], decoded: [], preTokens: [] };
  for (const t of texts) {
    const ids = (await tok.encode(t)).getIds();
    out.ids.push(ids);
    out.decoded.push(await tok.decode(ids, false));
    out.preTokens.push(pre.preTokenizeString(t).map(([p]) => p));
  }
  return out;
}

// invisible and combining characters as \u escapes, so a reader sees what a text holds
function quote(v) {
  return JSON.stringify(v).replace(/(?! )[\p{C}\p{Z}\p{M}]/gu,
    (c) => Array.from({ length: c.length }, (_, i) => '\\u' + c.charCodeAt(i).toString(16).padStart(4, '0')).join(''));
}

// objects one key a line, arrays of numbers or strings on one line: diffs stay readable
function pretty(v, indent = '') {
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return '[' + v.map(quote).join(',') + ']';
  const inner = indent + ' ';
  if (Array.isArray(v)) return '[\n' + v.map((x) => inner + pretty(x, inner)).join(',\n') + '\n' + indent + ']';
  if (v && typeof v === 'object') {
    return '{\n' + Object.entries(v).map(([k, x]) => inner + JSON.stringify(k) + ': ' + pretty(x, inner)).join(',\n')
      + '\n' + indent + '}';
  }
  return quote(v);
}

const text = corpus();
const files = { ...gpt2Files(text), ...splitFile(text), ...unkAndSplitsFiles() };
for (const [name, json] of Object.entries(files)) {
  fs.writeFileSync(path.join(here, name), JSON.stringify(json, null, 2) + '\n');
}
const names = Object.keys(files);
if (fs.existsSync(path.join(here, 'kindling-bpe.tokenizer.json'))) {
  names.push('kindling-bpe.tokenizer.json');
} else {
  console.error('kindling-bpe.tokenizer.json is missing: run TokenizerJsonTest with -Dkindling.regenerateFixtures=true first');
}
const expected = {
  generator: `make-fixture.mjs, Hugging Face tokenizers ${version} (Node binding)`,
  texts: TEXTS,
  newerUnicodeTexts: NEWER_UNICODE_TEXTS,
  tokenizers: {},
};
for (const name of names) {
  expected.tokenizers[name] = { ...(await record(name, TEXTS)), newerUnicode: await record(name, NEWER_UNICODE_TEXTS) };
}
fs.writeFileSync(path.join(here, 'expected-ids.json'), pretty(expected) + '\n');
console.log(`wrote ${names.join(', ')} and expected-ids.json`);
