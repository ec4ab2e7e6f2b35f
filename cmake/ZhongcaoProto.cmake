# zhongcao_proto_library(<target> ROOT <dir> PROTOS <paths relative to ROOT>
#                        [GRPC] [DEPS <proto targets>])
# Generates C++ code into ${CMAKE_BINARY_DIR}/gen with the system protoc
# (CMake's protobuf_generate() places outputs awkwardly, see STACK.md).
set(ZHONGCAO_PROTO_OUT ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${ZHONGCAO_PROTO_OUT})

function(zhongcao_proto_library target)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${ZHONGCAO_PROTO_OUT}/${base}.pb.cc ${ZHONGCAO_PROTO_OUT}/${base}.pb.h)
    set(grpc_args)
    if(ARG_GRPC)
      list(APPEND outs ${ZHONGCAO_PROTO_OUT}/${base}.grpc.pb.cc
                       ${ZHONGCAO_PROTO_OUT}/${base}.grpc.pb.h)
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
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${ZHONGCAO_PROTO_OUT})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()
