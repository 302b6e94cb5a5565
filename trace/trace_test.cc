// The trace language's parser and printer (trace.h, trace-format.md): every
// line of the document parses and prints back, every error names its line
// and says what is wrong.
#include "trace.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace tophash::trace {
namespace {

// print(parse(text)) is text, and the printed text parses to the same program.
void expect_round_trip(const std::string& text) {
  const ParseResult r = parse_trace(text);
  ASSERT_FALSE(r.error) << text << "error: line " << r.error->line << ": " << r.error->what;
  const std::string printed = print_trace(r.program);
  EXPECT_EQ(printed, text);
  const ParseResult again = parse_trace(printed);
  ASSERT_FALSE(again.error) << printed;
  EXPECT_TRUE(again.program.same_as(r.program)) << printed;
}

TEST(TraceRoundTrip, EveryCoreOperation) {
  expect_round_trip("hint 9\n");
  expect_round_trip("hash 1 0x00000000000000ff\n");
  expect_round_trip("hash 18446744073709551615 0xffffffffffffffff\nput 18446744073709551615 0\n");
  expect_round_trip("hash 1 0x0123456789abcdef\nput 1 2\ndel 1\nget 1\n");
  expect_round_trip("len\n");
  expect_round_trip("clear\n");
  expect_round_trip("iter it 3 4\nnext it\n");
  expect_round_trip("iter x.y-z 18446744073709551615 0\nnext x.y-z\n");
  expect_round_trip("dump\n");
  expect_round_trip(
      "hint 2147483647\nhash 1 0x00000000000000ff\nput 1 2\ndel 1\nget 1\nlen\nclear\niter x 3 4\nnext x\n"
      "dump\n");
}

TEST(TraceRoundTrip, EveryExtensionOperation) {
  expect_round_trip("reserve 5\n");
  expect_round_trip("reserve 2147483647\n");
  expect_round_trip("shrink_to_fit\n");
  expect_round_trip("iter a 0 0\nclose a\n");
  expect_round_trip("iter a 0 0\ndrain a\n");
  expect_round_trip("iter a 1 2\nnext a\nclose a\nnext a\ndrain a\niter a 5 6\nnext a\n");
}

TEST(TraceRoundTrip, EveryHeaderLine) {
  expect_round_trip("keys string\n");
  expect_round_trip("keys double\n");
  expect_round_trip("keys counted\n");
  expect_round_trip("hashing real 0\n");
  expect_round_trip("hashing real 18446744073709551615\n");
  expect_round_trip("hashing tiny 1 7\n");
  expect_round_trip("hashing tiny 65536 7\n");
  expect_round_trip("keys string\nhashing tiny 3 9\nput \"a\" \"b\"\n");
  // The defaults print as nothing; either order of the headers prints keys first.
  for (const char* text : {"keys u64\nhashing pinned\nlen\n", "hashing pinned\nkeys u64\nlen\n"}) {
    const ParseResult r = parse_trace(text);
    ASSERT_FALSE(r.error) << text;
    EXPECT_EQ(r.program.config, Config{});
    EXPECT_EQ(print_trace(r.program), "len\n");
  }
  const ParseResult r = parse_trace("hashing real 4\nkeys counted\n");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(print_trace(r.program), "keys counted\nhashing real 4\n");
}

TEST(TraceRoundTrip, KeyTypesLiterals) {
  expect_round_trip("keys counted\nhash 3 0x0000000000000001\nput 3 4\nget 3\ndel 3\n");
  expect_round_trip("keys string\nhashing real 1\nput \"\" \"v\"\nput \"a\\\"b\\\\c\\x20d\\x00\\xff\" \"\\x0a\"\n");
  expect_round_trip("keys string\nhash \"k\" 0x1000000000000000\nput \"k\" \"v\"\nget \"k\"\ndel \"k\"\n");
  expect_round_trip(
      "keys double\nhashing real 1\nput 1.5 7\nput -0 1\nput 0 2\nput nan 3\nput -nan 4\nput inf 5\n"
      "put -inf 6\nput 1e+300 8\nput 5e-324 9\nget 0.1\ndel -2.5\n");
  // A pin of -0 pins 0 too: they are one key.
  expect_round_trip("keys double\nhash -0 0x0000000000000001\nput 0 1\nget -0\n");
  // NaN needs no pin (its hash is random).
  expect_round_trip("keys double\nput nan 1\nget -nan\n");
}

TEST(TraceRoundTrip, OtherSpellingsPrintInTheirCanonicalForm) {
  const std::pair<const char*, const char*> cases[] = {
      {"hash 1 0xABCDEF0123456789\n", "hash 1 0xabcdef0123456789\n"},
      {"hash 1 0X0000000000000001\n", "hash 1 0x0000000000000001\n"},
      {"hash 007 0x0000000000000001\nput 7 010\n", "hash 7 0x0000000000000001\nput 7 10\n"},
      {"keys double\nhashing real 1\nput 1.50 1\nput 1e2 2\nput 0.0 3\nput -0.0 4\n",
       "keys double\nhashing real 1\nput 1.5 1\nput 100 2\nput 0 3\nput -0 4\n"},
      {"keys string\nhashing real 1\nput \"\\x41\\x7E\" \"\\x20\"\n", "keys string\nhashing real 1\nput \"A~\" \"\\x20\"\n"},
      {"# a comment\n\n   \nlen\r\n# another\n", "len\n"},
      {"len", "len\n"},
  };
  for (auto [text, want] : cases) {
    const ParseResult r = parse_trace(text);
    ASSERT_FALSE(r.error) << text << r.error->what;
    EXPECT_EQ(print_trace(r.program), want) << text;
  }
}

TEST(TraceParse, ProgramHoldsWhatTheLinesSay) {
  const ParseResult r = parse_trace(
      "# header\nkeys string\nhashing tiny 3 42\n\nhash \"a\" 0x00000000000000ff\nput \"a\" \"b\"\n"
      "iter it 9 8\nnext it\nreserve 100\n");
  ASSERT_FALSE(r.error);
  const Program& p = r.program;
  EXPECT_EQ(p.config.keys, KeyType::kString);
  EXPECT_EQ(p.config.hashing, HashMode::kTiny);
  EXPECT_EQ(p.config.tiny, 3u);
  EXPECT_EQ(p.config.seed, 42u);
  ASSERT_EQ(p.ops.size(), 5u);
  EXPECT_EQ(p.ops[0].kind, OpKind::kPin);
  EXPECT_EQ(p.ops[0].line, 5u);
  EXPECT_EQ(p.ops[0].b, 0xffu);
  EXPECT_EQ(p.strings.at(p.ops[1].a), "a");
  EXPECT_EQ(p.strings.at(p.ops[1].b), "b");
  EXPECT_EQ(p.ops[2].kind, OpKind::kIter);
  EXPECT_EQ(p.ops[2].b, 9u);
  EXPECT_EQ(p.ops[2].c, 8u);
  EXPECT_EQ(p.iter_names.at(p.ops[3].iter), "it");
  EXPECT_EQ(p.ops[4].kind, OpKind::kReserve);
  EXPECT_EQ(p.ops[4].a, 100u);
  EXPECT_EQ(p.ops[4].line, 9u);

  const ParseResult d =
      parse_trace("keys double\nhash -0 0x0000000000000001\nhash 0.5 0x0000000000000002\nput 0.5 3\n");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.program.ops[0].a, std::bit_cast<std::uint64_t>(-0.0));
  EXPECT_EQ(d.program.ops[2].kind, OpKind::kPut);
  EXPECT_EQ(std::bit_cast<double>(d.program.ops[2].a), 0.5);
  EXPECT_EQ(d.program.ops[2].b, 3u);
}

TEST(TraceParse, AnErrorKeepsTheOpsBeforeIt) {
  const ParseResult r = parse_trace("len\nclear\nbogus\nlen\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 3u);
  EXPECT_EQ(print_trace(r.program), "len\nclear\n");
}

// Every error the parser gives, word for word (the replayer prints them as
// `error: line N: WHAT`): each trace and the error it must give.
using Errors = std::vector<std::pair<std::string, std::string>>;

void expect_errors(const Errors& bad) {
  for (const auto& [text, want] : bad) {
    const ParseResult r = parse_trace(text);
    ASSERT_TRUE(r.error) << "accepted: " << text;
    EXPECT_EQ("line " + std::to_string(r.error->line) + ": " + r.error->what, want) << "trace: " << text;
  }
}

TEST(TraceErrors, Lexical) {
  expect_errors({
      {"len  \n", "line 1: tokens must be separated by single spaces"},
      {"len \n", "line 1: tokens must be separated by single spaces"},
      {" len\n", "line 1: tokens must be separated by single spaces"},
      {"keys string\nget \"abc\n", "line 2: unterminated string literal"},
      {"keys string\nget \"a\"b\n", "line 2: a string literal must be followed by a space or the end of the line"},
      {std::string("len\nl\0en\n", 8), "line 2: line contains a NUL byte"},
      {"len\nfrob 1\n", "line 2: unknown operation 'frob'"},
      {"\x01\x7f" + std::string(50, 'x') + "\n",
       "line 1: unknown operation '??" + std::string(38, 'x') + "...'"},
  });
}

TEST(TraceErrors, Headers) {
  expect_errors({
      {"len\nkeys string\n", "line 2: 'keys' must come before every operation"},
      {"len\nhashing real 1\n", "line 2: 'hashing' must come before every operation"},
      {"keys u64\nkeys u64\n", "line 2: 'keys' given twice"},
      {"hashing pinned\nhashing pinned\n", "line 2: 'hashing' given twice"},
      {"keys\n", "line 1: 'keys' takes 1 argument, got 0"},
      {"keys u32\n", "line 1: unknown key type 'u32' (want u64, string, double or counted)"},
      {"hashing\n", "line 1: unknown hashing '' (want pinned, real SEED or tiny N SEED)"},
      {"hashing cheap\n", "line 1: unknown hashing 'cheap' (want pinned, real SEED or tiny N SEED)"},
      {"hashing pinned 1\n", "line 1: 'hashing' takes 1 argument, got 2"},
      {"hashing real\n", "line 1: 'hashing' takes 2 arguments, got 1"},
      {"hashing real x\n", "line 1: bad seed 'x' (want an unsigned 64-bit decimal integer)"},
      {"hashing tiny 3\n", "line 1: 'hashing' takes 3 arguments, got 2"},
      {"hashing tiny -1 0\n", "line 1: bad tiny count '-1' (want an unsigned 64-bit decimal integer)"},
      {"hashing tiny 1 0x1\n", "line 1: bad seed '0x1' (want an unsigned 64-bit decimal integer)"},
      {"hashing tiny 0 1\n", "line 1: tiny count 0 out of range (1 to 65536)"},
      {"hashing tiny 65537 1\n", "line 1: tiny count 65537 out of range (1 to 65536)"},
  });
}

TEST(TraceErrors, CoreOperations) {
  expect_errors({
      {"hint\n", "line 1: 'hint' takes 1 argument, got 0"},
      {"hint x\n", "line 1: bad hint 'x' (want an unsigned 64-bit decimal integer)"},
      {"len\nhint 5\n", "line 2: 'hint' must be the first operation"},
      {"hint 2147483648\n", "line 1: hint 2147483648 out of range (must be below 2^31)"},
      {"hash 1\n", "line 1: 'hash' takes 2 arguments, got 1"},
      {"hash 1 0x00000000000001\n", "line 1: bad hash '0x00000000000001' (want 0x and 16 hex digits)"},
      {"hash 1 0x000000000000000g\n", "line 1: bad hash '0x000000000000000g' (want 0x and 16 hex digits)"},
      {"hash 1 1234567890123456789\n", "line 1: bad hash '1234567890123456789' (want 0x and 16 hex digits)"},
      {"hash -1 0x0000000000000001\n", "line 1: bad key '-1' (want an unsigned 64-bit decimal integer)"},
      {"hash 1 0x0000000000000001\nput 1\n", "line 2: 'put' takes 2 arguments, got 1"},
      {"hash 1 0x0000000000000001\nput 1 -5\n", "line 2: bad value '-5' (want an unsigned 64-bit decimal integer)"},
      {"put 7 1\n", "line 1: key 7 has no pinned hash (add 'hash 7 0x...' before it)"},
      {"del 7\n", "line 1: key 7 has no pinned hash (add 'hash 7 0x...' before it)"},
      {"get 18446744073709551616\n",
       "line 1: bad key '18446744073709551616' (want an unsigned 64-bit decimal integer)"},
      {"get\n", "line 1: 'get' takes 1 argument, got 0"},
      {"del 1 2\n", "line 1: 'del' takes 1 argument, got 2"},
      {"len 1\n", "line 1: 'len' takes 0 arguments, got 1"},
      {"clear x\n", "line 1: 'clear' takes 0 arguments, got 1"},
      {"dump 1 2\n", "line 1: 'dump' takes 0 arguments, got 2"},
      {"iter it 1\n", "line 1: 'iter' takes 3 arguments, got 2"},
      {"iter it x 1\n", "line 1: bad start 'x' (want an unsigned 64-bit decimal integer)"},
      {"iter it 1 x\n", "line 1: bad offset 'x' (want an unsigned 64-bit decimal integer)"},
      {"len\n\n# c\nnext it\n", "line 4: iterator 'it' was not declared (use 'iter it START OFFSET')"},
      {"iter it x 1\nnext it\n", "line 1: bad start 'x' (want an unsigned 64-bit decimal integer)"},
      {"next\n", "line 1: 'next' takes 1 argument, got 0"},
  });
}

TEST(TraceErrors, Extensions) {
  expect_errors({
      {"reserve\n", "line 1: 'reserve' takes 1 argument, got 0"},
      {"reserve x\n", "line 1: bad count 'x' (want an unsigned 64-bit decimal integer)"},
      {"reserve 2147483648\n", "line 1: reserve 2147483648 out of range (must be below 2^31)"},
      {"shrink_to_fit 1\n", "line 1: 'shrink_to_fit' takes 0 arguments, got 1"},
      {"close it\n", "line 1: iterator 'it' was not declared (use 'iter it START OFFSET')"},
      {"drain it\n", "line 1: iterator 'it' was not declared (use 'iter it START OFFSET')"},
      {"iter a 0 0\ndrain b\n", "line 2: iterator 'b' was not declared (use 'iter b START OFFSET')"},
  });
}

TEST(TraceErrors, KeyTypes) {
  expect_errors({
      {"keys double\nput 1x 1\n", "line 2: bad key '1x' (want a decimal number, nan or inf)"},
      {"keys double\nput nan(1) 1\n", "line 2: bad key 'nan(1)' (want a decimal number, nan or inf)"},
      {"keys double\nput +1 1\n", "line 2: bad key '+1' (want a decimal number, nan or inf)"},
      {"keys double\nput 1e999 1\n", "line 2: bad key '1e999' (want a decimal number, nan or inf)"},
      {"keys double\nhashing real 1\nput 1 1.5\n",
       "line 3: bad value '1.5' (want an unsigned 64-bit decimal integer)"},
      {"keys double\nput 2.5 1\n", "line 2: key 2.5 has no pinned hash (add 'hash 2.5 0x...' before it)"},
      {"keys string\nput k \"v\"\n", "line 2: bad key 'k' (want a quoted string, escapes \\\" \\\\ \\xHH)"},
      {"keys string\nhashing real 1\nput \"k\" \"\\n\"\n",
       "line 3: bad value '\"\\n\"' (want a quoted string, escapes \\\" \\\\ \\xHH)"},
      {"keys string\nhashing real 1\nget \"\\x4\"\n",
       "line 3: bad key '\"\\x4\"' (want a quoted string, escapes \\\" \\\\ \\xHH)"},
      {"keys string\nput \"k\" \"v\"\n", "line 2: key \"k\" has no pinned hash (add 'hash \"k\" 0x...' before it)"},
      {"keys counted\nhashing real 1\nput 1 x\n",
       "line 3: bad value 'x' (want an unsigned 64-bit decimal integer)"},
  });
}

TEST(TraceParse, EveryHashModeAcceptsEveryKeyWithoutPins) {
  for (const char* mode : {"hashing real 1\n", "hashing tiny 2 1\n"}) {
    const ParseResult r = parse_trace(std::string(mode) + "put 5 1\nget 6\ndel 7\n");
    EXPECT_FALSE(r.error) << mode;
  }
}

TEST(TraceLiterals, FormatsOfKeysAndValues) {
  EXPECT_EQ(quote_string("a\"b\\c d\x01\x7f"), "\"a\\\"b\\\\c\\x20d\\x01\\x7f\"");
  EXPECT_EQ(format_double(1.5), "1.5");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(1e300), "1e+300");
  EXPECT_EQ(format_double(std::nan("")), "nan");
  EXPECT_EQ(format_double(-std::nan("")), "-nan");
  EXPECT_EQ(format_double(-HUGE_VAL), "-inf");
  EXPECT_STREQ(key_type_name(KeyType::kU64), "u64");
  EXPECT_STREQ(key_type_name(KeyType::kString), "string");
  EXPECT_STREQ(key_type_name(KeyType::kDouble), "double");
  EXPECT_STREQ(key_type_name(KeyType::kCounted), "counted");

  Program p;
  p.config.keys = KeyType::kDouble;
  EXPECT_EQ(key_literal(p, std::bit_cast<std::uint64_t>(0.25)), "0.25");
  EXPECT_EQ(value_literal(p, 7), "7");
  p.config.keys = KeyType::kString;
  const std::uint32_t s = p.string_index("x y");
  EXPECT_EQ(p.string_index("x y"), s) << "interned once";
  EXPECT_EQ(key_literal(p, s), "\"x\\x20y\"");
  EXPECT_EQ(value_literal(p, s + 1), "\"?\"") << "a repr naming no string";
}

TEST(TracePrint, PrefixesAndHeaders) {
  const ParseResult r = parse_trace("hashing tiny 2 5\nput 1 1\nput 2 2\nlen\n");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(print_header(r.program), "hashing tiny 2 5\n");
  EXPECT_EQ(print_trace(r.program, 0), "hashing tiny 2 5\n");
  EXPECT_EQ(print_trace(r.program, 2), "hashing tiny 2 5\nput 1 1\nput 2 2\n");
  EXPECT_EQ(print_trace(r.program, 99), print_trace(r.program));
  EXPECT_EQ(print_op(r.program, r.program.ops[2]), "len");
}

TEST(TraceProgram, SameAsComparesWhatTheOpsName) {
  ParseResult a = parse_trace("keys string\nhashing real 1\nput \"a\" \"b\"\n");
  ParseResult b = parse_trace("keys string\nhashing real 1\n\nget \"z\"\nput \"a\" \"b\"\n");
  ASSERT_FALSE(a.error);
  ASSERT_FALSE(b.error);
  b.program.ops.erase(b.program.ops.begin());  // strings interned in another order
  EXPECT_TRUE(a.program.same_as(b.program));
  EXPECT_NE(a.program.ops[0].a, b.program.ops[0].a);
  ParseResult c = parse_trace("keys string\nhashing real 2\nput \"a\" \"b\"\n");
  EXPECT_FALSE(a.program.same_as(c.program)) << "another seed";
  a.program.clear();
  EXPECT_TRUE(a.program.ops.empty());
  EXPECT_TRUE(a.program.strings.empty());
  EXPECT_EQ(a.program.config, Config{});
}


// `hash nan 0xH` (trace-format.md, pinned NaN hashes): each line is an op
// of its own, in order, with the NaN's sign kept; a NaN needs no pin
// before a put, del or get.
TEST(TraceNanPins, QueueLinesParseInOrderAndPrintBack) {
  const std::string text =
      "keys double\nhash nan 0x51cb032a20bcbbc7\nhash -nan 0x0000000000000001\nput nan 1\nput -nan 2\n"
      "hash nan 0xffffffffffffffff\ndel nan\nget -nan\n";
  expect_round_trip(text);
  const ParseResult r = parse_trace(text);
  ASSERT_FALSE(r.error);
  const std::vector<Op>& ops = r.program.ops;
  ASSERT_EQ(ops.size(), 7u);
  EXPECT_EQ(ops[0].kind, OpKind::kPin);
  EXPECT_TRUE(std::isnan(std::bit_cast<double>(ops[0].a)));
  EXPECT_EQ(ops[0].b, 0x51cb032a20bcbbc7u);
  EXPECT_TRUE(std::signbit(std::bit_cast<double>(ops[1].a)));
  EXPECT_EQ(ops[1].b, 1u);
  EXPECT_EQ(ops[4].kind, OpKind::kPin);
  EXPECT_EQ(ops[4].b, ~std::uint64_t{0});
}

TEST(TraceNanPins, AMalformedNanHashIsAnError) {
  const ParseResult r = parse_trace("keys double\nhash nan 0x51cb\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_NE(r.error->what.find("bad hash"), std::string::npos) << r.error->what;
}

}  // namespace
}  // namespace tophash::trace
