#pragma once
// CRC-32C (Castagnoli), the checksum of TFRecord framing (private to the analysis library).
#include <cstddef>
#include <cstdint>

namespace dcl {

// Plain CRC-32C of `size` bytes: reflected polynomial 0x82F63B78, initial value and final xor
// 0xFFFFFFFF. crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, std::size_t size);

}  // namespace dcl
