# zhongcao_proto_library(<target> ROOT <dir> PROTOS <paths relative to ROOT>
#                        [GRPC] [DEPS <proto targets>])
# Generates C++ code into ${CMAKE_BINARY_DIR}/gen with the system protoc
# (CMake's protobuf_generate() places outputs awkwardly, see STACK.md).
set(ZHONGCAO_PROTO_OUT ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${ZHONGCAO_PROTO_OUT})

function(zhongcao_proto_library target)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  set(srcs)
  set(grpc_srcs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${ZHONGCAO_PROTO_OUT}/${base}.pb.cc ${ZHONGCAO_PROTO_OUT}/${base}.pb.h)
    set(grpc_args)
    if(ARG_GRPC)
      set(grpc_outs ${ZHONGCAO_PROTO_OUT}/${base}.grpc.pb.cc
                    ${ZHONGCAO_PROTO_OUT}/${base}.grpc.pb.h)
      list(APPEND grpc_srcs ${grpc_outs})
      list(APPEND outs ${grpc_outs})
      set(grpc_args --grpc_out=${ZHONGCAO_PROTO_OUT}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc --proto_path=${ARG_ROOT}
        --proto_path=${PROJECT_SOURCE_DIR}/proto
        --cpp_out=${ZHONGCAO_PROTO_OUT} ${grpc_args} ${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND srcs ${ZHONGCAO_PROTO_OUT}/${base}.pb.cc)
  endforeach()
  # Messages and gRPC stubs are separate libraries, so that layers below
  # service/ can use the API's messages without linking gRPC.
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${ZHONGCAO_PROTO_OUT})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    add_library(${target}_grpc STATIC ${grpc_srcs})
    target_link_libraries(${target}_grpc PUBLIC ${target} gRPC::grpc++)
  endif()
endfunction()
