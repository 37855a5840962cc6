{
  # Elanus's own vector addon: HNSW from usearch's C++ headers (in node_modules, not
  # vendored), SIMD distance kernels from NumKong (shipped inside the usearch package,
  # dispatched at run time, so one build runs on any x86-64), and our own scans and IVF.
  "variables": {
    "numkong_root": "node_modules/usearch/numkong"
  },
  "includes": ["node_modules/usearch/numkong/numkong.gypi"],
  "targets": [
    {
      "target_name": "elanus_vector",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter((f) => f.endsWith('.cc')).map((f) => 'native/' + f).join(' ')\")"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').gyp\")",
        "numkong_lib"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "node_modules/usearch/include"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "USEARCH_USE_NUMKONG=1",
        "USEARCH_USE_OPENMP=0",
        "NK_DYNAMIC_DISPATCH=1"
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-fexceptions", "-Wno-unknown-pragmas", "-Wno-maybe-uninitialized"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wno-unknown-pragmas", "-Wno-maybe-uninitialized", "-Wno-unused-function"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      }
    }
  ]
}
