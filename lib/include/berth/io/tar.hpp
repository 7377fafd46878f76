// Writing tar archives (ustar, with a PAX header for names and links longer than 99
// bytes): the header blocks of one entry and the padding and end of an archive. Plain
// functions over strings; the caller streams the data between the headers itself, so no
// entry is ever held in memory (build contexts, image archives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/core/export.hpp"

namespace berth::io {

/// The size of a tar block.
inline constexpr std::size_t tar_block = 512;

/// The header blocks of one entry: type '0' a file (size bytes of data follow, padded to
/// a block with tar_padding), '5' a directory, '2' a symlink to link. mode's permission
/// bits and mtime (seconds) are written; owner ids are 0. A PAX header comes first when
/// name or link is longer than 99 bytes.
BERTH_API std::string tar_entry_header(std::string_view name, char type, std::uint32_t mode,
                                       std::uint64_t size, std::int64_t mtime,
                                       std::string_view link = {});

/// The zero bytes that complete an entry of size bytes to a whole block.
inline std::size_t tar_padding(std::uint64_t size) noexcept {
  return static_cast<std::size_t>((tar_block - size % tar_block) % tar_block);
}

/// The end of an archive: two zero blocks.
inline std::string tar_trailer() { return std::string(2 * tar_block, '\0'); }

}  // namespace berth::io
