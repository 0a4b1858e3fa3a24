--[[
typst.lua -- map the assembled book's conventions onto the KCE typst template.

Runs only when writing typst (after crossref.lua / callouts.lua / citeproc ran on the
book).  It turns the writer-neutral markers into calls of functions defined in
templates/typst/kce.typ:

* headings with a `number` attribute get `#kce-num("3.1")` before their text;
* tables/figures with `xref-label` get "Table N – " / "Figure N – " before the caption;
* images get a column-wide width (unless one is given) and their `fig-alt` as typst `alt`;
* callout Divs become `#kce-callout(kind: ..., title: [...])[...]`;
* `.column-page` / `.wide` Divs (and `.wide` tables/figures) span both columns;
* a paragraph starting "Source:" / "Note:" right after a table, or a `.table-notes`
  Div, is set as table notes;
* the `#refs` Div gets the reference-list style.
]]

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function raw(text)
  return pandoc.RawBlock("typst", text)
end

local function safe_number(n)
  return (n:gsub("[^%w%.]", ""))
end

local function wrap(call, blocks)
  local out = pandoc.Blocks({ raw(call .. "[") })
  out:extend(blocks)
  out:insert(raw("]"))
  return out
end

local function prefix_caption(el)
  local label = el.attributes["xref-label"]
  if not label then
    return
  end
  local prefix = pandoc.Inlines({ pandoc.Str(label), pandoc.Space(), pandoc.Str("–"), pandoc.Space() })
  local long = el.caption.long
  if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") then
    local inlines = prefix .. long[1].content
    long[1] = pandoc.Plain(inlines)
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  el.caption.long = long
end

-- A float cannot break across pages, so wide content that may not fit on one page goes on
-- pages of its own in one column instead (`kce-wide-page`); short content floats across
-- both columns at the top of a page (`kce-wide`).
local function is_long_table(tbl)
  local rows, chars = #tbl.head.rows + #tbl.foot.rows, 0
  for _, body in ipairs(tbl.bodies) do
    rows = rows + #body.head + #body.body
  end
  tbl:walk({ Str = function(s) chars = chars + utf8.len(s.text) end })
  return rows > 14 or chars > 1600
end

local REGION = "kce-wide-page-region"

-- Short wide content floats now; long content becomes a region marker that `Blocks`
-- below turns into one-column pages (merging neighbouring regions).
local function widen(blocks)
  local long = false
  pandoc.Blocks(blocks):walk({
    Table = function(t)
      long = long or is_long_table(t)
    end,
  })
  if long then
    return pandoc.Div(blocks, pandoc.Attr("", { REGION }))
  end
  return wrap("#kce-wide", blocks)
end

local function is_wide(el)
  return el.classes:includes("wide") or el.classes:includes("column-page")
    or el.attributes["column"] == "page"
end

local function image_call(img)
  local args = { typst_string(img.src) }
  local width = img.attributes["width"]
  if width and width:match("^[%d%.]+%%$") then
    table.insert(args, "width: " .. width)
  elseif width and width:match("^[%d%.]+(pt|cm|mm|in|em)$") then
    table.insert(args, "width: " .. width)
  else
    table.insert(args, "width: 100%")
  end
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(img.caption)
  if alt ~= "" then
    table.insert(args, "alt: " .. typst_string(alt))
  end
  return pandoc.RawInline("typst", "#image(" .. table.concat(args, ", ") .. ")")
end

function Header(el)
  local number = el.attributes["number"]
  if number and number ~= "" then
    el.content:insert(1, pandoc.RawInline("typst", '#kce-num("' .. safe_number(number) .. '")'))
  end
  return el
end

function Figure(el)
  -- only figure images are made column-wide; inline images keep their size
  el = el:walk({ Image = image_call })
  prefix_caption(el)
  if is_wide(el) then
    return widen({ el })
  end
  return el
end

-- Typst sizes `auto` columns to their content, which leaves text tables as narrow
-- islands in a column.  Tables with enough text get the full column width, shared out in
-- proportion to each column's longest cell (clamped, so one long cell cannot starve the
-- others); explicit widths from the author are kept.  Default alignment becomes left.
local function cell_length(cell)
  return utf8.len(pandoc.utils.stringify(cell.contents)) or 0
end

local function fit_columns(tbl)
  local n = #tbl.colspecs
  local longest = {}
  for i = 1, n do
    longest[i] = 1
  end
  local function scan(rows)
    for _, row in ipairs(rows) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        local share = cell_length(cell) / cell.col_span
        for k = 0, cell.col_span - 1 do
          if col + k <= n then
            longest[col + k] = math.max(longest[col + k], share)
          end
        end
        col = col + cell.col_span
      end
    end
  end
  scan(tbl.head.rows)
  for _, body in ipairs(tbl.bodies) do
    scan(body.head)
    scan(body.body)
  end
  scan(tbl.foot.rows)
  local total, has_width = 0, false
  for i = 1, n do
    longest[i] = math.min(math.max(longest[i], 4), 45)
    total = total + longest[i]
    local width = tbl.colspecs[i][2]
    if width and width > 0 then
      has_width = true
    end
  end
  for i = 1, n do
    local align, width = tbl.colspecs[i][1], tbl.colspecs[i][2]
    if align == "AlignDefault" then
      align = "AlignLeft"
    end
    if not has_width and total >= 30 then
      width = longest[i] / total
    end
    tbl.colspecs[i] = { align, width }
  end
end

function Table(el)
  fit_columns(el)
  prefix_caption(el)
  if is_wide(el) then
    return widen({ el })
  end
  return el
end

function Div(el)
  if el.classes:includes("callout") and el.attributes["callout-type"] then
    local title_div, body_div = el.content[1], el.content[2]
    local out = pandoc.Blocks({
      raw("#kce-callout(kind: " .. typst_string(el.attributes["callout-type"]) .. ", title: ["),
    })
    out:extend(title_div.content)
    out:insert(raw("])["))
    out:extend(body_div.content)
    out:insert(raw("]"))
    return out
  end
  if el.identifier == "refs" then
    return wrap("#kce-references", { el })
  end
  if el.classes:includes("chapter-authors") then
    return wrap("#kce-chapter-authors", el.content)
  end
  if el.classes:includes("table-notes") then
    return wrap("#kce-table-notes", el.content)
  end
  if is_wide(el) then
    return widen(el.content)
  end
end

local NOTE_STARTS = { ["Source:"] = true, ["Sources:"] = true, ["Note:"] = true, ["Notes:"] = true }

local function starts_as_note(block)
  if block.t ~= "Para" or #block.content == 0 then
    return false
  end
  local first = block.content[1]
  if first.t == "Emph" or first.t == "Strong" then
    first = first.content[1]
  end
  return first ~= nil and first.t == "Str" and NOTE_STARTS[first.text] == true
end

local function is_table_like(block)
  if block.t == "Table" then
    return true
  end
  -- a wide table arrives wrapped: RawBlock "]" closes it
  return block.t == "RawBlock" and block.text == "]"
end

local function is_region(block)
  return block.t == "Div" and block.classes:includes(REGION)
end

local function text_size(block)
  local n = 0
  pandoc.Blocks({ block }):walk({ Str = function(s) n = n + utf8.len(s.text) end })
  return n
end

-- Notes after tables, and one-column pages for long wide tables: text between two such
-- tables (a heading and a short paragraph) joins them on the one-column pages rather than
-- leaving a nearly empty two-column page between them.
local MERGE_BUDGET = 900

function Blocks(blocks)
  local out = pandoc.Blocks({})
  local i = 1
  local after_table = false
  while i <= #blocks do
    local block = blocks[i]
    if is_region(block) then
      local region = pandoc.Blocks(block.content)
      i = i + 1
      while true do
        -- notes belong to the table they follow
        while i <= #blocks and starts_as_note(blocks[i]) do
          region:extend(wrap("#kce-table-notes", { blocks[i] }))
          i = i + 1
        end
        local j, budget = i, 0
        while j <= #blocks and not is_region(blocks[j]) do
          local b = blocks[j]
          if b.t == "Header" and b.level == 1 then
            break
          end
          budget = budget + text_size(b)
          if budget > MERGE_BUDGET then
            break
          end
          j = j + 1
        end
        if j <= #blocks and is_region(blocks[j]) and budget <= MERGE_BUDGET then
          for k = i, j - 1 do
            region:insert(blocks[k])
          end
          region:extend(blocks[j].content)
          i = j + 1
        else
          break
        end
      end
      out:extend(wrap("#kce-wide-page", region))
      after_table = false
    elseif after_table and starts_as_note(block) then
      out:extend(wrap("#kce-table-notes", { block }))
      i = i + 1
    else
      out:insert(block)
      after_table = is_table_like(block)
      i = i + 1
    end
  end
  return out
end

-- typst refuses a link to a label that does not exist (e.g. citeproc's link for an
-- unknown citation key, already reported as a warning): keep such links' text only.
function Pandoc(doc)
  local ids = {}
  local function note(el)
    if el.identifier and el.identifier ~= "" then
      ids[el.identifier] = true
    end
  end
  doc:walk({ Block = note, Inline = note })
  return doc:walk({
    Link = function(link)
      local target = link.target:match("^#(.+)$")
      if target and not ids[target] then
        return link.content
      end
    end,
  })
end
