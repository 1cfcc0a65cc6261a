// CLI11's parse errors as one line in dcl's words: the flag, what was wrong, what to give instead.
#include <regex>

#include "commands.h"

namespace dcl::cli {

std::string explain_parse_error(const CLI::ParseError& e) {
  const std::string what = e.what();
  std::smatch m;
  // A flag given more than once: CLI11 says "--lr: At Most 1 required but received 2".
  if (std::regex_match(what, m, std::regex(R"((\S+): At Most 1 required but received (\d+))")))
    return m[1].str() + " was given " + m[2].str() + " times; give it once";
  if (std::regex_match(what, m, std::regex(R"((\S+): (\d+) required (\S+) missing)")))
    return m[1].str() + " needs a value (" + m[3].str() + ")";
  if (std::regex_match(what, m, std::regex(R"(Could not convert: (\S+) = (.*))")))
    return m[1].str() + ": '" + m[2].str() + "' is not a value of the right kind (see its help for the form)";
  if (std::regex_match(what, m, std::regex(R"(The following arguments? (?:was|were) not expected: (.*))")))
    return "unexpected argument(s): " + m[1].str() + " (a flag's name mistyped, or a value without its flag?)";
  if (std::regex_match(what, m, std::regex(R"((\S+): Should be true/false or a number)")))
    return m[1].str() + " takes true or false";
  if (std::regex_match(what, m, std::regex(R"((\S+): too many inputs for a flag)")))
    return m[1].str() + " is a switch and takes no value (--flag, or --flag=false)";
  return what;
}

}  // namespace dcl::cli
