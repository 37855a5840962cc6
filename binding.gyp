{
  # Elanus's own vector addon: HNSW from usearch's C++ headers (in node_modules, not
  # vendored), SIMD distance kernels from NumKong (shipped inside the usearch package,
  # dispatched at run time, so one build runs on any x86-64), and our own scans and IVF.
  #
  # usearch is found where Node would resolve it from here, not at a fixed
  # node_modules/usearch: installed as a dependency, npm hoists it beside this package.
  # That is also why NumKong's target is declared below rather than taken from usearch's
  # numkong.gypi: gyp's "includes" are fixed paths, never expanded. It mirrors that file
  # (usearch is pinned to one version in package.json).
  "variables": {
    # (usearch's "exports" hide its package.json from require.resolve: the folder is the
    # first of Node's lookup paths that holds it.) Relative to this file, because gyp's
    # make generator names object files after their sources' paths and fails on absolute ones.
    "usearch_root": "<!(node -p \"const path = require('path'); path.relative('.', require.resolve.paths('usearch').map((p) => path.join(p, 'usearch')).find((d) => require('fs').existsSync(path.join(d, 'package.json'))))\")",
    "numkong_root": "<(usearch_root)/numkong",
    # The probe writes the compiler's ISA support here (NumKong's probes/probe.js); an
    # absolute path, because "-include" is a bare flag that gyp does not rebase.
    "numkong_probes": "<!(node -p \"require('path').resolve('<(numkong_root)', 'nk_probes.h')\")"
  },
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
        "<(usearch_root)/include"
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
    },
    {
      # NumKong's C kernels: its dispatcher and one file per element type (not its
      # parallel.c, which numkong.gypi leaves out too), with the ISA probe run first.
      "target_name": "numkong_lib",
      "type": "static_library",
      "actions": [
        {
          "action_name": "numkong_probe",
          "inputs": ["<(numkong_root)/probes/probe.js"],
          "outputs": ["<(numkong_probes)"],
          "action": ["node", "<(numkong_root)/probes/probe.js"],
          "message": "Probing ISA capabilities for NumKong"
        }
      ],
      "sources": ["<!@(node -p \"require('fs').readdirSync('<(numkong_root)/c').filter((f) => f === 'numkong.c' || /^dispatch_.*[.]c$/.test(f)).map((f) => '<(numkong_root)/c/' + f).join(' ')\")"],
      "include_dirs": ["<(numkong_root)/include"],
      "defines": ["NK_NATIVE_F16=0", "NK_NATIVE_BF16=0", "NK_DYNAMIC_DISPATCH=1"],
      "cflags": [
        "-std=c11", "-O3", "-Wno-unknown-pragmas", "-Wno-maybe-uninitialized",
        "-Wno-cast-function-type", "-Wno-switch", "-Wno-psabi",
        "-include", "<(numkong_probes)"
      ],
      "xcode_settings": { "MACOSX_DEPLOYMENT_TARGET": "11.0" },
      "direct_dependent_settings": {
        "include_dirs": ["<(numkong_root)/include"]
      }
    }
  ]
}
