// SEC-14 (shared/reference/security-checklist.md §1A). RFC 8827 §6.5: the
// DTLS-SRTP keys are for the browser alone: no API may hand the keying
// material of a DTLS association to the page. Checked statically over the
// sources, which is where such an exposure would have to be written:
//   - the WebIDL the JavaScript bindings are generated from (api/idl) and
//     the names of the getStats() members (pc/stats.c) name nothing like a
//     key, a salt, a secret or exporter output;
//   - only the DTLS transport (p2p/dtls_transport.c) calls the exporter or
//     reads the SRTP keys: no code of the API or the peer connection does.
// (The runtime half of the row, scanning memory after close() for a master
// key, needs the media pipeline that would hold such keys.)

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string Root() {
  return RTC_SOURCE_ROOT;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Whether an identifier or a name could be keying material. "keyFrames..."
// (video statistics) and generateCertificate's "keygenAlgorithm" (the
// algorithm of a key to make) are not.
bool NamesKeyingMaterial(const std::string& name) {
  const std::string n = Lower(name);
  static const char* const kAlways[] = {
      "keying",     "exporter",  "secret",  "salt", "premaster",
      "privatekey", "masterkey", "srtpkey", "mki",  "psk",
  };
  for (const char* word : kAlways) {
    if (n.find(word) != std::string::npos)
      return true;
  }
  if (n.find("key") == std::string::npos)
    return false;
  return n != "keygenalgorithm" && n.rfind("keyframe", 0) != 0;
}

// The identifiers of a text ([A-Za-z_][A-Za-z0-9_]*), comments and all.
std::vector<std::string> Identifiers(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      cur += c;
    } else if (!cur.empty()) {
      if (!std::isdigit(static_cast<unsigned char>(cur[0])))
        out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty())
    out.push_back(cur);
  return out;
}

std::vector<fs::path> Files(const std::string& dir,
                            const std::vector<std::string>& extensions) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(Root() + dir)) {
    if (!e.is_regular_file())
      continue;
    std::string ext = e.path().extension().string();
    if (std::find(extensions.begin(), extensions.end(), ext) !=
        extensions.end())
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(KeyingMaterialTest, SEC14_NoIdlNameExposesKeyingMaterial) {
  std::vector<fs::path> idl = Files("api/idl", {".idl"});
  ASSERT_GE(idl.size(), 2u);  // webrtc-pc.idl, webrtc-stats.idl at least
  size_t names = 0;
  for (const fs::path& file : idl) {
    for (const std::string& id : Identifiers(Read(file))) {
      names++;
      EXPECT_FALSE(NamesKeyingMaterial(id)) << file << ": " << id;
    }
  }
  EXPECT_GT(names, 500u);  // the files were read
}

// The members getStats() reports: the string literals of pc/stats.c (the
// members are written as member_*(j, "name", ...)).
TEST(KeyingMaterialTest, SEC14_NoStatsMemberExposesKeyingMaterial) {
  std::string stats = Read(Root() + "pc/stats.c");
  ASSERT_NE(stats.find("\"dtlsCipher\""), std::string::npos);
  size_t literals = 0;
  for (size_t at = stats.find("member_"); at != std::string::npos;
       at = stats.find("member_", at + 1)) {
    size_t open = stats.find('"', at);
    size_t paren = stats.find(';', at);
    if (open == std::string::npos || open > paren)
      continue;
    size_t close = stats.find('"', open + 1);
    std::string name = stats.substr(open + 1, close - open - 1);
    literals++;
    EXPECT_FALSE(NamesKeyingMaterial(name)) << name;
  }
  EXPECT_GT(literals, 40u);
}

// Only p2p/dtls_transport.c touches the exporter and the SRTP keys; the
// API (api/: C headers, the JavaScript bindings and their generator) and
// the peer connection (pc/) never do.
TEST(KeyingMaterialTest, SEC14_OnlyTheDtlsTransportReadsKeyingMaterial) {
  static const char* const kAccessors[] = {
      "rtc_dtls_transport_srtp_keys", "rtc_srtp_keys",
      "SSL_export_keying_material",   "SSL_generate_key_block",
      "SSL_get_key_block_len",        "SSL_SESSION_get_master_key",
      "SSL_get_client_random",        "SSL_get_server_random",
      "rtc_certificate_private_key",  "rtc_certificate_to_pem",
  };
  size_t files = 0;
  for (const char* dir : {"api", "pc"}) {
    for (const fs::path& file :
         Files(dir, {".c", ".h", ".js", ".cjs", ".mjs", ".py", ".idl"})) {
      files++;
      std::string text = Read(file);
      for (const char* accessor : kAccessors)
        EXPECT_EQ(text.find(accessor), std::string::npos)
            << file << " uses " << accessor;
    }
  }
  EXPECT_GT(files, 20u);
  // The transport does (the check looks at the right files).
  std::string dtls = Read(Root() + "p2p/dtls_transport.c");
  EXPECT_NE(dtls.find("SSL_export_keying_material"), std::string::npos);
}

}  // namespace
