# BpfObject.cmake: bpf_object(name src) compiles a CO-RE BPF program with clang and generates its libbpf skeleton.
#
# Usage:
#   include(BpfObject)
#   bpf_object(nettape ${CMAKE_SOURCE_DIR}/bpf/nettape.bpf.c)
#   target_link_libraries(prog PRIVATE nettape_skel)
#
# Produces, in ${CMAKE_CURRENT_BINARY_DIR}/bpf/:
#   vmlinux.h      generated at build time from the running kernel's BTF
#                  (bpftool btf dump file /sys/kernel/btf/vmlinux format c);
#                  never committed, shared by every bpf_object of the directory
#   <name>.bpf.o   clang -target bpf -g -O2 -D__TARGET_ARCH_<arch>
#   <name>.skel.h  bpftool gen skeleton
# and an INTERFACE library <name>_skel whose include path holds the skeleton.
#
# The BPF compile is a custom command on purpose: the project's compile
# options (sanitizers, warnings of the host build) must not reach it.
# Variables that may be set before include: BPF_VMLINUX_BTF (BTF source file).

find_program(BPF_CLANG NAMES clang clang-14 clang-15 clang-16 REQUIRED)
find_program(BPF_BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
find_program(BPF_LLVM_STRIP NAMES llvm-strip llvm-strip-14 llvm-strip-15)

if(NOT BPF_VMLINUX_BTF)
  set(BPF_VMLINUX_BTF /sys/kernel/btf/vmlinux)
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64|AMD64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

# libbpf's headers (bpf_helpers.h, bpf_core_read.h, bpf_tracing.h).
find_path(BPF_LIBBPF_INCLUDE bpf/bpf_helpers.h REQUIRED)

function(bpf_object name src)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(vmlinux_h ${out_dir}/vmlinux.h)
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  get_filename_component(src_dir ${src} DIRECTORY)
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${src_dir}/*.h)

  # One vmlinux.h rule per output directory.
  get_property(have_rule GLOBAL PROPERTY BPF_VMLINUX_RULE_${out_dir})
  if(NOT have_rule)
    add_custom_command(OUTPUT ${vmlinux_h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${BPF_BPFTOOL} btf dump file ${BPF_VMLINUX_BTF} format c > ${vmlinux_h}.tmp
      COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux_h}.tmp ${vmlinux_h}
      COMMENT "Generating vmlinux.h from ${BPF_VMLINUX_BTF}"
      VERBATIM)
    set_property(GLOBAL PROPERTY BPF_VMLINUX_RULE_${out_dir} 1)
  endif()

  add_custom_command(OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -target bpf -g -O2 -Wall ${NETTAPE_BPF_WERROR}
            -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${out_dir} -I${src_dir} -I${BPF_LIBBPF_INCLUDE}
            -c ${src} -o ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${obj}.tmp ${obj}
    DEPENDS ${src} ${bpf_headers} ${vmlinux_h}
    COMMENT "Compiling BPF object ${name}.bpf.o"
    VERBATIM)

  add_custom_command(OUTPUT ${skel}
    COMMAND ${BPF_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)

  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
