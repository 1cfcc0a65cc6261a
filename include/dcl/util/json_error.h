#pragma once
// nlohmann's exception text in plain words: without its "[json.exception.parse_error.101] parse
// error at line 1, column 5: syntax error while parsing value - " preamble, and naming the line.
#include <string>

namespace dcl {

inline std::string json_error_text(const std::exception& e) {
  std::string text = e.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    size_t end = text.find("] ");
    if (end != std::string::npos) text = text.substr(end + 2);
  }
  // "parse error at line 3, column 1: syntax error while parsing object - unexpected end of input;
  // expected string literal" -> "line 3, column 1: unexpected end of input; expected string literal"
  const std::string at = "parse error at ";
  if (text.rfind(at, 0) == 0) {
    size_t colon = text.find(": ");
    size_t dash = text.find(" - ", colon);
    if (colon != std::string::npos && dash != std::string::npos)
      text = text.substr(at.size(), colon - at.size()) + ": " + text.substr(dash + 3);
  }
  return text;
}

}  // namespace dcl
