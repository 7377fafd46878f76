#include "berth/io/tar.hpp"

#include <algorithm>
#include <cstring>

namespace berth::io {

namespace {

void octal(char* field, std::size_t width, std::uint64_t v) {
  // width-1 octal digits and a NUL.
  for (std::size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  field[width - 1] = '\0';
}

void put_str(char* field, std::size_t width, std::string_view s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

std::string pax_record(std::string_view key, std::string_view value) {
  // "<len> key=value\n", len counting itself.
  std::size_t body = 1 + key.size() + 1 + value.size() + 1;
  std::size_t len = body + 1;
  while (std::to_string(len).size() + body != len) ++len;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

std::string header_block(std::string_view name, char type, std::uint32_t mode, std::uint64_t size,
                         std::int64_t mtime, std::string_view link) {
  char h[tar_block] = {};
  put_str(h, 100, name);
  octal(h + 100, 8, mode & 07777);
  octal(h + 108, 8, 0);
  octal(h + 116, 8, 0);
  octal(h + 124, 12, size);
  octal(h + 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));
  std::memset(h + 148, ' ', 8);
  h[156] = type;
  put_str(h + 157, 100, link);
  std::memcpy(h + 257, "ustar\0" "00", 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  octal(h + 148, 7, sum);
  h[155] = ' ';
  return std::string(h, tar_block);
}

}  // namespace

std::string tar_entry_header(std::string_view name, char type, std::uint32_t mode, std::uint64_t size,
                             std::int64_t mtime, std::string_view link) {
  std::string out;
  if (name.size() > 99 || link.size() > 99) {
    std::string pax;
    if (name.size() > 99) pax += pax_record("path", name);
    if (link.size() > 99) pax += pax_record("linkpath", link);
    out += header_block("././@PaxHeader", 'x', 0644, pax.size(), mtime, {});
    out += pax;
    out.append(tar_padding(pax.size()), '\0');
  }
  out += header_block(name.substr(0, 99), type, mode, size, mtime, link.substr(0, 99));
  return out;
}

}  // namespace berth::io
